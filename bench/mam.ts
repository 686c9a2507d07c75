/**
 * MAM queries on a large archive: fills one user's archive with 100,000 messages (in 20
 * conversations, one message every 10 s of simulated time) straight through the embedded
 * provider in a temp dir, interleaved with 100,000 messages of 100 other users, reopens the
 * provider (closing runs SQLite's `optimize`, so the planner has statistics, as in production),
 * prints the query plan of each shape, then times the queries a client makes, through the same query code
 * the server runs (server/modules/mam/query.ts): each figure is ms per query, the median and
 * the 95th percentile of repeated runs, including the RSM count and first-index work.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { explainArchive, openEmbeddedStorage } from '../storage/embedded/provider.js';
import type { ArchiveQuery, StorageProvider } from '../storage/types.js';
import { Jid } from '../server/core/jid.js';
import type { Filters, Paging } from '../server/modules/mam/form.js';
import { runQuery, type Archive } from '../server/modules/mam/query.js';
import type { Benchmark } from './run.js';

const N = 100_000;
const CONTACTS = 20;
const T0 = Date.UTC(2025, 0, 1);
const STEP_MS = 10_000;
const RUNS = 40;

function message(i: number, contact: string): string {
  return `<message xmlns="jabber:client" from="${contact}/phone" to="alice@bench.example/desk" type="chat" id="m${i}"><body>message number ${i}, with some text to make it a typical size</body><origin-id xmlns="urn:xmpp:sid:0" id="o${i}"/></message>`;
}

async function time(label: string, runs: number, fn: () => Promise<unknown>): Promise<void> {
  await fn(); // warm the statement cache and the page cache
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!;
  process.stdout.write(`${label.padEnd(48)} ${at(0.5).toFixed(2).padStart(7)} ms median  ${at(0.95).toFixed(2).padStart(7)} ms p95\n`);
}

async function run(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tern-bench-mam-'));
  let storage: StorageProvider = openEmbeddedStorage({ dir });
  try {
    let archive: Archive = storage.archive<string>('bench.example', 'mam');
    const contacts = Array.from({ length: CONTACTS }, (_, i) => `contact${i}@bench.example`);
    const t = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const c = contacts[i % CONTACTS]!;
      ids.push(await archive.append('alice', { when: T0 + i * STEP_MS, with: c, value: message(i, c) }));
      // Other users' rows between Alice's, so an index that does not start with the user shows.
      await archive.append(`other${i % 100}`, { when: T0 + i * STEP_MS, with: contacts[0]!, value: message(i, contacts[0]!) });
    }
    process.stdout.write(`filled ${N} messages for one user (+${N} for 100 others) in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    await storage.close();
    storage = openEmbeddedStorage({ dir });
    archive = storage.archive<string>('bench.example', 'mam');

    const shapes: Array<[string, ArchiveQuery]> = [
      ['newest', { reverse: true, before: ids[N / 2]! }],
      ['with', { with: contacts[7]!, reverse: true }],
      ['time', { start: T0, end: T0 + N * STEP_MS, reverse: true }],
      ['with+time', { with: contacts[7]!, start: T0, end: T0 + N * STEP_MS }],
      ['ids', { ids: [ids[1]!, ids[2]!] }],
    ];
    for (const [name, q] of shapes) {
      process.stdout.write(`plan ${name.padEnd(10)} find: ${explainArchive(archive, 'alice', q).join(' | ')}\n`);
      process.stdout.write(`plan ${name.padEnd(10)} count: ${explainArchive(archive, 'alice', q, 'count').join(' | ')}\n`);
    }

    const iso = (i: number) => T0 + i * STEP_MS;
    const q = (f: Filters, p: Paging) => () => runQuery(archive, 'alice', f, p);
    const withJid = Jid.parse(contacts[7]!);
    await time('last page of 50 (<before/>)', RUNS, q({}, { max: 50, before: '' }));
    await time('page of 50 before an id in the middle', RUNS, q({}, { max: 50, before: ids[N / 2]! }));
    await time('first page of 50', RUNS, q({}, { max: 50 }));
    await time('page of 50 after an id in the middle (RSM after)', RUNS, q({}, { max: 50, after: ids[N / 2]! }));
    await time('page of 50 after-id in the middle (form)', RUNS, q({ afterId: ids[N / 2]! }, { max: 50 }));
    await time('last page of 50 with one contact (5,000 msgs)', RUNS, q({ with: withJid }, { max: 50, before: '' }));
    await time('first page of 50 with one contact', RUNS, q({ with: withJid }, { max: 50 }));
    await time('page of 50 in a one-day start/end window', RUNS, q({ start: iso(40_000), end: iso(40_000) + 86_400_000 }, { max: 50 }));
    await time('last page of 50 in a start/end half archive', RUNS, q({ start: iso(N / 2), end: iso(N) }, { max: 50, before: '' }));
    await time('with + start/end, last page of 50', RUNS, q({ with: withJid, start: iso(20_000), end: iso(80_000) }, { max: 50, before: '' }));
    await time('5 ids', RUNS, q({ ids: [ids[1]!, ids[20_000]!, ids[40_000]!, ids[60_000]!, ids[99_999]!] }, {}));
    await time('count only (<max>0</max>)', RUNS, q({}, { max: 0 }));
  } finally {
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export const mamBenchmark: Benchmark = {
  name: 'mam',
  description: `XEP-0313 queries over ${N.toLocaleString('en')} archived messages of one user (embedded storage)`,
  run,
};
