/**
 * The migration tool's source side and verification, against real embedded stores in temp dirs.
 * The MongoDB target cannot run here; the copy is exercised with a second embedded provider as
 * the target (archive import by append, so ids are not kept there: MongoArchive.importRecords
 * keeps them, and runs only with the contract suite's MONGODB_URL server).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { embeddedInventory, openEmbeddedStorage } from './embedded/provider.js';
import { ARCHIVE_CHUNK, countStore, describeMismatch, migrate, readStore, verify, type MigrationTarget, type StoreRef } from './migrate.js';
import type { StorageProvider } from './types.js';

const H = 'example.org';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('storage migration: embedded source and verification', function () {
  this.timeout(30_000);
  let dirs: string[] = [];
  let open: StorageProvider[] = [];
  const provider = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tern-migrate-'));
    dirs.push(dir);
    const p = openEmbeddedStorage({ dir });
    open.push(p);
    return p;
  };
  afterEach(async () => {
    for (const p of open) await p.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    dirs = [];
    open = [];
  });

  /** A server's worth of data: accounts with SCRAM keys, roster, offline, MAM, a store no module declares. */
  async function seed(p: StorageProvider): Promise<void> {
    const scram = { 'SCRAM-SHA-256': { salt: 'c2FsdA==', iterations: 4096, storedKey: 'AAAA', serverKey: 'BBBB' } };
    await p.keyval(H, 'accounts').set('alice', scram);
    await p.keyval(H, 'accounts').set('bob', scram);
    await p.keyval('example.net', 'accounts').set('carol', scram);
    await p.map(H, 'roster').setMany('alice', [['bob@example.org', { subscription: 'both', groups: ['Friends'] }], ['carol@example.net', { subscription: 'to', groups: [] }]]);
    await p.map(H, 'roster').set('bob', 'alice@example.org', { subscription: 'both', groups: [] });
    await p.archive(H, 'offline').append('bob', { when: Number.MAX_SAFE_INTEGER, value: '<message/>' });
    for (let i = 0; i < ARCHIVE_CHUNK + 5; i++) await p.archive(H, 'mam').append('alice', { when: 1000 + i, with: i % 2 ? 'bob@example.org' : 'carol@example.net', value: `<message id="${i}"/>` });
    await p.archive(H, 'mam').append('bob', { when: 5, with: 'alice@example.org', value: '<message/>' });
    await p.keyval(H, 'vcard_legacy').set('alice', '<vCard xmlns="vcard-temp"/>');
  }

  it('lists every (shape, host, store) that holds data, including stores no module declares', async () => {
    const p = await provider();
    await seed(p);
    assert.deepEqual(embeddedInventory(p), [
      { shape: 'keyval', host: 'example.net', store: 'accounts' },
      { shape: 'keyval', host: H, store: 'accounts' },
      { shape: 'keyval', host: H, store: 'vcard_legacy' },
      { shape: 'map', host: H, store: 'roster' },
      { shape: 'archive', host: H, store: 'mam' },
      { shape: 'archive', host: H, store: 'offline' },
    ]);
  });

  it('reads each store user by user, archives in id order and in bounded chunks, values intact', async () => {
    const p = await provider();
    await seed(p);
    const accounts = await collect(readStore(p, { shape: 'keyval', host: H, store: 'accounts' }));
    assert.deepEqual(accounts.map((d) => d.user), ['alice', 'bob']);
    assert.deepEqual((accounts[0] as { value: unknown }).value, { 'SCRAM-SHA-256': { salt: 'c2FsdA==', iterations: 4096, storedKey: 'AAAA', serverKey: 'BBBB' } });
    const roster = await collect(readStore(p, { shape: 'map', host: H, store: 'roster' }));
    assert.deepEqual(roster.map((d) => d.shape === 'map' && [d.user, [...d.entries.keys()].sort()]), [['alice', ['bob@example.org', 'carol@example.net']], ['bob', ['alice@example.org']]]);
    const mam = await collect(readStore(p, { shape: 'archive', host: H, store: 'mam' }));
    const sizes = mam.map((d) => [d.user, d.shape === 'archive' ? d.records.length : -1]);
    assert.deepEqual(sizes, [['alice', ARCHIVE_CHUNK], ['alice', 5], ['bob', 1]]);
    const aliceIds = mam.filter((d) => d.user === 'alice').flatMap((d) => (d.shape === 'archive' ? d.records.map((r) => Number(r.id)) : []));
    assert.deepEqual(aliceIds, [...aliceIds].sort((a, b) => a - b), 'in id (append) order');
    const first = mam[0]!.shape === 'archive' ? mam[0]!.records[0]! : undefined;
    assert.deepEqual(first && { when: first.when, with: first.with, value: first.value }, { when: 1000, with: 'carol@example.net', value: '<message id="0"/>' });
  });

  it('copies everything, verifies counts, and can be run again without changing the result', async () => {
    const source = await provider();
    await seed(source);
    const dest = await provider();
    // An id-keeping import is MongoDB-only; here the target re-appends, replacing the user's records so a re-run is idempotent too.
    const target: MigrationTarget = {
      provider: dest,
      importArchive: async (host, store, user, records) => {
        const a = dest.archive<unknown>(host, store);
        if (records.length && (await a.count(user, { start: records[0]!.when, end: records[records.length - 1]!.when })) >= records.length) return;
        for (const r of records) await a.append(user, { when: r.when, ...(r.with === undefined ? {} : { with: r.with }), value: r.value });
      },
    };
    const refs = embeddedInventory(source);
    const lines: string[] = [];
    const report = await migrate(source, refs, target, (l) => lines.push(l));
    assert.deepEqual(report.mismatches, []);
    assert.ok(lines.includes(`archive ${H}/mam: 2 users, ${ARCHIVE_CHUNK + 6} items copied`), lines.join('\n'));
    assert.deepEqual(await dest.keyval(H, 'accounts').get('alice'), await source.keyval(H, 'accounts').get('alice'));
    assert.deepEqual(await dest.map(H, 'roster').all('alice'), await source.map(H, 'roster').all('alice'));
    // A key removed from the source since the first run disappears from the target on the second.
    await dest.map(H, 'roster').set('alice', 'stale@example.org', { subscription: 'none', groups: [] });
    const again = await migrate(source, refs, target);
    assert.deepEqual(again.mismatches, []);
    assert.equal(await dest.map(H, 'roster').get('alice', 'stale@example.org'), undefined);
    assert.equal(await dest.archive(H, 'mam').count('alice'), ARCHIVE_CHUNK + 5);
  });

  it('verify reports each store and user whose counts differ', async () => {
    const source = await provider();
    await seed(source);
    const dest = await provider();
    const refs: StoreRef[] = embeddedInventory(source);
    const all = await verify(source, dest, refs);
    assert.ok(all.length >= refs.length, 'an empty target differs in every store');
    await migrate(source, refs, { provider: dest, importArchive: async (h, s, u, rs) => { for (const r of rs) await dest.archive<unknown>(h, s).append(u, { when: r.when, value: r.value }); } });
    assert.deepEqual(await verify(source, dest, refs), []);
    await dest.archive(H, 'mam').delete('alice', { limit: 1 });
    await dest.map(H, 'roster').set('alice', 'bob@example.org', undefined);
    await dest.keyval(H, 'accounts').set('mallory', { x: 1 });
    const diff = (await verify(source, dest, refs)).map(describeMismatch);
    assert.deepEqual(diff, [
      `keyval ${H}/accounts: users 2 in the source, 3 in the target`,
      `map ${H}/roster user "alice": items 2 in the source, 1 in the target`,
      `archive ${H}/mam user "alice": items ${ARCHIVE_CHUNK + 5} in the source, ${ARCHIVE_CHUNK + 4} in the target`,
    ]);
    assert.deepEqual((await countStore(source, { shape: 'archive', host: H, store: 'offline' })).total, { users: 1, items: 1 });
  });
});
