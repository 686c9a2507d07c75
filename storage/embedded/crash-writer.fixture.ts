/**
 * Child process for the crash test in embedded.test.ts:
 *   node --import tsx storage/embedded/crash-writer.fixture.ts <dir> <round> [count]
 * Appends `count` archive items and, after each, replaces two map keys in one setMany; only
 * once both calls have resolved does it print "<id> <n>", so every printed line is a write the
 * provider acknowledged. The parent SIGKILLs it mid-stream and checks what survived.
 *
 * Items are self-verifying (a digest of their padding) so the parent needs no shared code to
 * tell an intact row from a torn one; sizes vary up to ~16 KiB so rows span overflow pages and
 * the WAL passes its auto-checkpoint threshold during a run.
 */
import { createHash } from 'node:crypto';
import { openEmbeddedStorage } from './provider.js';

const [dir, roundArg, countArg] = process.argv.slice(2);
if (!dir || !roundArg) {
  process.stderr.write('usage: crash-writer.fixture.ts <dir> <round> [count]\n');
  process.exit(2);
}
const round = Number(roundArg);
const count = Number(countArg ?? 2000);

const storage = openEmbeddedStorage({ dir });
const archive = storage.archive<{ round: number; n: number; pad: string; sha256: string }>('crash.example', 'mam');
const progress = storage.map<{ round: number; n: number }>('crash.example', 'progress');

for (let n = 0; n < count; n++) {
  const pad = String.fromCharCode(0x61 + (n % 26)).repeat(100 + ((n * 7919) % 16384)) + 'ü🦩';
  const sha256 = createHash('sha256').update(pad).digest('hex');
  const id = await archive.append('alice', { when: Date.now(), with: `peer${n % 7}@crash.example`, value: { round, n, pad, sha256 } });
  await progress.setMany('alice', [['a', { round, n }], ['b', { round, n }]]);
  // A synchronous write on Linux pipes: once it returns, the line is the parent's to read,
  // whatever happens to this process next.
  process.stdout.write(`${id} ${n}\n`);
}
await storage.close();
