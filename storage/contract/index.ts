/**
 * The contract every StorageProvider must pass: modules are written once against
 * storage/types.ts, so any behaviour they may rely on is pinned down here rather than in
 * one provider's tests.
 *
 * Usage, from a provider's test file:
 *
 *   storageContract('embedded', async () => {
 *     const dir = await mkdtemp(join(tmpdir(), 'tern-'));
 *     return {
 *       open: () => openEmbeddedStorage({ dir }),
 *       cleanup: () => rm(dir, { recursive: true, force: true }),
 *     };
 *   });
 *
 * `fresh()` is called once per test and must return an empty location (a directory, a
 * database name, ...). `open()` must return a provider on that same location every time it is
 * called: the persistence tests close the provider and call `open()` again to read back what
 * the first one wrote. The suite closes every provider it opened before calling `cleanup()`.
 *
 * Semantics the suite fixes beyond the interface's comments:
 * - values round-trip as JSON: `null`, nested objects, unicode, 1 MiB strings;
 * - host, store, user and map keys are opaque strings: no separator, prefix, dot or `$`
 *   in one of them may make two different tuples collide (NUL is not required to work:
 *   XMPP cannot carry it);
 * - archive ids are opaque strings; their order is append order, which find() follows
 *   (oldest first; newest first with `reverse`), and they are never reused, even after the
 *   newest items are deleted and the provider reopened;
 * - `after`/`before` are exclusive, `start`/`end` inclusive, `ids: []` matches nothing, an
 *   id that names no item in `ids` is simply not returned; `limit` counts from the start of
 *   the iteration order, so `reverse` + `limit` gives the newest items;
 * - count() ignores `limit`; delete(query) removes exactly what find(query) would yield
 *   (including `limit`), and delete() with no query removes all of the user's items;
 * - a consumer may write to the provider while iterating find() or users().
 */
import assert from 'node:assert/strict';
import type { ArchiveRecord, StorageProvider } from '../types.js';

export interface ContractLocation {
  /** A provider on this location; called again after close() to test persistence. */
  open(): Promise<StorageProvider> | StorageProvider;
  /** Removes the location; every provider opened on it is closed by then. */
  cleanup(): Promise<void>;
}

const H = 'example.org';
const H2 = 'example.net';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const sorted = (xs: string[]) => [...xs].sort();

export function storageContract(name: string, fresh: () => Promise<ContractLocation>): void {
  describe(`storage contract: ${name}`, function () {
    let loc: ContractLocation;
    let p: StorageProvider;
    const opened: StorageProvider[] = [];

    /** Closes the current provider and opens the location again. */
    async function reopen(): Promise<StorageProvider> {
      await p.close();
      p = await loc.open();
      opened.push(p);
      return p;
    }

    beforeEach(async () => {
      loc = await fresh();
      p = await loc.open();
      opened.push(p);
    });

    afterEach(async () => {
      for (const q of opened.splice(0)) await q.close();
      await loc.cleanup();
    });

    describe('keyval', () => {
      it('gets undefined for a missing user, then what was set, then the overwrite', async () => {
        const kv = p.keyval<{ n: number }>(H, 'accounts');
        assert.equal(await kv.get('alice'), undefined);
        await kv.set('alice', { n: 1 });
        assert.deepEqual(await kv.get('alice'), { n: 1 });
        await kv.set('alice', { n: 2 });
        assert.deepEqual(await kv.get('alice'), { n: 2 });
      });

      it('deletes on undefined, and deleting a missing user is harmless', async () => {
        const kv = p.keyval<string>(H, 'accounts');
        await kv.set('alice', 'x');
        await kv.set('alice', undefined);
        assert.equal(await kv.get('alice'), undefined);
        await kv.set('nobody', undefined);
        assert.deepEqual(await collect(kv.users()), []);
      });

      it('round-trips JSON values of every kind, null included', async () => {
        const kv = p.keyval<unknown>(H, 'v');
        const values: unknown[] = [null, 0, -1.5, true, false, '', 'text', [], [1, [2, null]], {},
          { nested: { deep: [{ a: 1 }], empty: {} }, n: null }];
        for (const [i, v] of values.entries()) await kv.set(`u${i}`, v);
        for (const [i, v] of values.entries()) assert.deepEqual(await kv.get(`u${i}`), v, `value ${i}`);
      });

      it('stores the empty user (host-wide data)', async () => {
        const kv = p.keyval<string>(H, 'settings');
        await kv.set('', 'host-wide');
        await kv.set('alice', 'personal');
        assert.equal(await kv.get(''), 'host-wide');
        assert.deepEqual(sorted(await collect(kv.users())), ['', 'alice']);
      });

      it('isolates hosts, stores and users, even when names share prefixes or separators', async () => {
        const tuples: [string, string, string][] = [
          [H, 'roster', 'alice'], [H2, 'roster', 'alice'], [H, 'vcard', 'alice'], [H, 'roster', 'bob'],
          [H, 'roster', 'al'], [H, 'roster', 'alice2'], [H, 'roster', 'Alice'],
          ['a', 'b:c', 'd'], ['a:b', 'c', 'd'], ['a', 'b', 'c:d'], ['a', 'b/c', 'd'], ['a/b', 'c', 'd'],
          ['a', 'b\tc', 'd'], ['a', 'b', 'c\td'], [H, 'r%', 'a_'], [H, 'r.x', '$a'],
        ];
        for (const [i, [h, s, u]] of tuples.entries()) await p.keyval<number>(h, s).set(u, i);
        for (const [i, [h, s, u]] of tuples.entries()) assert.equal(await p.keyval<number>(h, s).get(u), i, `${h}|${s}|${u}`);
        assert.deepEqual(sorted(await collect(p.keyval(H, 'roster').users())), sorted(['alice', 'bob', 'al', 'alice2', 'Alice']));
        await p.keyval(H, 'roster').set('alice', undefined);
        assert.equal(await p.keyval(H2, 'roster').get('alice'), 1);
        assert.equal(await p.keyval(H, 'vcard').get('alice'), 2);
      });

      it('round-trips unicode in names and values', async () => {
        const kv = p.keyval<{ s: string }>('例え.テスト', 'vcärd');
        const s = 'ünïcødé 日本語 emoji 🦩🏳️‍🌈 rtl עברית quote " backslash \\ nul \u0000 newline \n';
        await kv.set('jürgen', { s });
        assert.deepEqual(await kv.get('jürgen'), { s });
        assert.deepEqual(await collect(kv.users()), ['jürgen']);
      });

      it('round-trips a 1 MiB value', async () => {
        const kv = p.keyval<{ blob: string }>(H, 'big');
        const blob = 'x'.repeat(1 << 19) + 'é'.repeat(1 << 18); // 1 MiB of UTF-8 either way
        await kv.set('alice', { blob });
        const got = await kv.get('alice');
        assert.equal(got?.blob.length, blob.length);
        assert.ok(got?.blob === blob);
      });

      it('lists each user with a value exactly once', async () => {
        const kv = p.keyval<number>(H, 'accounts');
        const users = Array.from({ length: 50 }, (_, i) => `user${i}`);
        for (const u of users) await kv.set(u, 1);
        await kv.set('user7', 2);
        await kv.set('user8', undefined);
        await p.keyval<number>(H, 'other').set('stranger', 1);
        await p.keyval<number>(H2, 'accounts').set('stranger', 1);
        assert.deepEqual(sorted(await collect(kv.users())), sorted(users.filter((u) => u !== 'user8')));
      });

      it('takes writes while users() is being iterated', async () => {
        const kv = p.keyval<number>(H, 'accounts');
        for (let i = 0; i < 10; i++) await kv.set(`u${i}`, i);
        const seen: string[] = [];
        for await (const u of kv.users()) {
          seen.push(u);
          await kv.set(u, -1);
          await p.keyval<number>(H, 'elsewhere').set(u, 1);
        }
        assert.equal(seen.length, 10);
        assert.equal(await kv.get('u3'), -1);
      });
    });

    describe('map', () => {
      it('gets, sets, overwrites and deletes single keys', async () => {
        const m = p.map<{ v: number }>(H, 'bookmarks');
        assert.equal(await m.get('alice', 'k'), undefined);
        await m.set('alice', 'k', { v: 1 });
        assert.deepEqual(await m.get('alice', 'k'), { v: 1 });
        await m.set('alice', 'k', { v: 2 });
        assert.deepEqual(await m.get('alice', 'k'), { v: 2 });
        await m.set('alice', 'k', undefined);
        assert.equal(await m.get('alice', 'k'), undefined);
        await m.set('alice', 'missing', undefined);
        assert.equal((await m.all('alice')).size, 0);
      });

      it('returns all keys of one user, and an empty map for an unknown user', async () => {
        const m = p.map<unknown>(H, 'pep');
        await m.set('alice', 'a', 1);
        await m.set('alice', 'b', { x: null });
        await m.set('alice', 'c', null);
        await m.set('bob', 'a', 99);
        await p.map<unknown>(H, 'other').set('alice', 'z', 0);
        await p.map<unknown>(H2, 'pep').set('alice', 'y', 0);
        const all = await m.all('alice');
        assert.ok(all instanceof Map);
        assert.deepEqual(new Map([...all].sort(([a], [b]) => (a < b ? -1 : 1))), new Map<string, unknown>([['a', 1], ['b', { x: null }], ['c', null]]));
        assert.equal((await m.all('nobody')).size, 0);
      });

      it('treats keys as opaque strings (dots, dollars, separators, unicode, empty)', async () => {
        const m = p.map<number>(H, 'pep');
        const keys = ['', 'a.b', '$a', 'a$', 'a:b', 'a/b', 'a\tb', '%', '_', 'urn:xmpp:avatar:metadata', 'κλειδί', '🔑', 'A', 'a'];
        for (const [i, k] of keys.entries()) await m.set('alice', k, i);
        for (const [i, k] of keys.entries()) assert.equal(await m.get('alice', k), i, JSON.stringify(k));
        assert.deepEqual(sorted([...(await m.all('alice')).keys()]), sorted(keys));
      });

      it('setMany writes and deletes several keys, the last entry for a key winning', async () => {
        const m = p.map<number>(H, 'bookmarks');
        await m.setMany('alice', [['a', 1], ['b', 2], ['gone', 3]]);
        await m.setMany('alice', [['c', 4], ['gone', undefined], ['a', 10], ['a', 11], ['never', 1], ['never', undefined]]);
        assert.deepEqual(Object.fromEntries(await m.all('alice')), { a: 11, b: 2, c: 4 });
        await m.setMany('alice', []);
        assert.equal((await m.all('alice')).size, 3);
      });

      it('setMany is atomic: a value that cannot be stored leaves every key as it was', async () => {
        const m = p.map<unknown>(H, 'bookmarks');
        await m.set('alice', 'a', 'old');
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        await assert.rejects(m.setMany('alice', [['a', 'new'], ['b', 'new'], ['c', circular], ['d', 'new']]));
        assert.deepEqual(Object.fromEntries(await m.all('alice')), { a: 'old' });
      });

      it('deleteUser removes one user of one store only', async () => {
        const m = p.map<number>(H, 'bookmarks');
        await m.setMany('alice', [['a', 1], ['b', 2]]);
        await m.set('bob', 'a', 3);
        await p.map<number>(H, 'pep').set('alice', 'a', 4);
        await p.map<number>(H2, 'bookmarks').set('alice', 'a', 5);
        await m.deleteUser('alice');
        await m.deleteUser('nobody');
        assert.equal((await m.all('alice')).size, 0);
        assert.equal(await m.get('bob', 'a'), 3);
        assert.equal(await p.map<number>(H, 'pep').get('alice', 'a'), 4);
        assert.equal(await p.map<number>(H2, 'bookmarks').get('alice', 'a'), 5);
        assert.deepEqual(await collect(m.users()), ['bob']);
      });

      it('lists each user with at least one key exactly once', async () => {
        const m = p.map<number>(H, 'bookmarks');
        for (let i = 0; i < 20; i++) for (let k = 0; k < 5; k++) await m.set(`user${i}`, `k${k}`, k);
        await m.set('', 'host-wide', 1);
        await m.setMany('user3', [0, 1, 2, 3, 4].map((k) => [`k${k}`, undefined] as const));
        await p.map<number>(H, 'other').set('stranger', 'k', 1);
        const expected = ['', ...Array.from({ length: 20 }, (_, i) => `user${i}`).filter((u) => u !== 'user3')];
        assert.deepEqual(sorted(await collect(m.users())), sorted(expected));
      });

      it('round-trips a 1 MiB value', async () => {
        const m = p.map<string>(H, 'big');
        const blob = '🦩'.repeat(1 << 18); // 4 bytes each in UTF-8
        await m.set('alice', 'k', blob);
        assert.ok((await m.get('alice', 'k')) === blob);
      });
    });

    describe('archive', () => {
      type Msg = { n: number };
      /** Appends n items with `when` = base + i and `with` cycling over `withs` (undefined = none). */
      async function fill(user: string, n: number, withs: (string | undefined)[] = [undefined], base = 1_000_000, store = 'mam'): Promise<string[]> {
        const a = p.archive<Msg>(H, store);
        const ids: string[] = [];
        for (let i = 0; i < n; i++) {
          const w = withs[i % withs.length];
          ids.push(await a.append(user, { when: base + i, ...(w === undefined ? {} : { with: w }), value: { n: i } }));
        }
        return ids;
      }
      const ns = (recs: ArchiveRecord<Msg>[]) => recs.map((r) => r.value.n);
      const range = (from: number, to: number, step = 1) => {
        const out: number[] = [];
        for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(i);
        return out;
      };

      it('appends return distinct ids that find() yields in append order with what was stored', async () => {
        const a = p.archive<Msg>(H, 'mam');
        const ids: string[] = [];
        for (let i = 0; i < 30; i++) ids.push(await a.append('alice', { when: 5000 - i, with: 'bob@example.net', value: { n: i } }));
        assert.equal(new Set(ids).size, 30);
        for (const id of ids) assert.equal(typeof id, 'string');
        const recs = await collect(a.find('alice'));
        assert.deepEqual(recs.map((r) => r.id), ids, 'ordered by append, not by time');
        assert.deepEqual(recs[3], { id: ids[3], when: 4997, with: 'bob@example.net', value: { n: 3 } });
      });

      it('defaults when to now and leaves with undefined when not given', async () => {
        const a = p.archive<string>(H, 'mam');
        const before = Date.now();
        const id = await a.append('alice', { value: 'hi' });
        const after = Date.now();
        const [rec] = await collect(a.find('alice'));
        assert.equal(rec?.id, id);
        assert.ok(rec!.when >= before && rec!.when <= after, `when ${rec!.when} in [${before}, ${after}]`);
        assert.equal(rec!.with, undefined);
        assert.equal(rec!.value, 'hi');
      });

      it('round-trips unicode and 1 MiB values', async () => {
        const a = p.archive<unknown>(H, 'mam');
        const xmlish = '<message xmlns="jabber:client" to="jürgen@例え.テスト"><body>🦩 &amp; ü</body></message>';
        const big = { body: 'ß'.repeat(1 << 19) };
        await a.append('jürgen', { with: 'ñandú@例え.テスト', value: xmlish });
        await a.append('jürgen', { value: big });
        await a.append('jürgen', { value: null });
        const recs = await collect(a.find('jürgen', { with: 'ñandú@例え.テスト' }));
        assert.equal(recs.length, 1);
        assert.equal(recs[0]!.value, xmlish);
        const all = await collect(a.find('jürgen'));
        assert.ok((all[1]!.value as { body: string }).body === big.body);
        assert.equal(all[2]!.value, null);
      });

      it('filters by with (exact match only)', async () => {
        await fill('alice', 12, ['bob@example.net', 'carol@example.net', undefined, 'Bob@example.net']);
        const a = p.archive<Msg>(H, 'mam');
        assert.deepEqual(ns(await collect(a.find('alice', { with: 'bob@example.net' }))), [0, 4, 8]);
        assert.deepEqual(ns(await collect(a.find('alice', { with: 'Bob@example.net' }))), [3, 7, 11]);
        assert.deepEqual(ns(await collect(a.find('alice', { with: 'bob' }))), []);
        assert.deepEqual(ns(await collect(a.find('alice', { with: 'bob@example.net/phone' }))), []);
        assert.deepEqual(ns(await collect(a.find('alice', { with: '' }))), []);
      });

      it('filters by start and end, both inclusive', async () => {
        await fill('alice', 10, [undefined], 100);
        const a = p.archive<Msg>(H, 'mam');
        assert.deepEqual(ns(await collect(a.find('alice', { start: 103 }))), range(3, 10));
        assert.deepEqual(ns(await collect(a.find('alice', { end: 103 }))), range(0, 4));
        assert.deepEqual(ns(await collect(a.find('alice', { start: 102, end: 105 }))), [2, 3, 4, 5]);
        assert.deepEqual(ns(await collect(a.find('alice', { start: 104, end: 104 }))), [4]);
        assert.deepEqual(ns(await collect(a.find('alice', { start: 105, end: 104 }))), []);
        assert.deepEqual(ns(await collect(a.find('alice', { start: 0, end: 99 }))), []);
      });

      it('filters by after and before, both exclusive', async () => {
        const ids = await fill('alice', 10);
        const a = p.archive<Msg>(H, 'mam');
        assert.deepEqual(ns(await collect(a.find('alice', { after: ids[3] }))), range(4, 10));
        assert.deepEqual(ns(await collect(a.find('alice', { before: ids[3] }))), [0, 1, 2]);
        assert.deepEqual(ns(await collect(a.find('alice', { after: ids[2], before: ids[6] }))), [3, 4, 5]);
        assert.deepEqual(ns(await collect(a.find('alice', { after: ids[9] }))), []);
        assert.deepEqual(ns(await collect(a.find('alice', { before: ids[0] }))), []);
        assert.deepEqual(ns(await collect(a.find('alice', { after: ids[5], before: ids[5] }))), []);
      });

      it('orders ids across the 9 → 10 → 100 boundaries (no lexicographic comparison)', async () => {
        const ids = await fill('alice', 120);
        const a = p.archive<Msg>(H, 'mam');
        for (const i of [8, 9, 10, 98, 99, 100]) {
          assert.deepEqual(ns(await collect(a.find('alice', { after: ids[i], limit: 2 }))), [i + 1, i + 2], `after #${i}`);
          assert.deepEqual(ns(await collect(a.find('alice', { before: ids[i + 1], limit: 2, reverse: true }))), [i, i - 1], `before #${i + 1}`);
        }
      });

      it('filters by a set of ids, ignoring unknown ids and other users\' ids', async () => {
        const ids = await fill('alice', 10);
        const [bobs] = await fill('bob', 1);
        const a = p.archive<Msg>(H, 'mam');
        assert.deepEqual(ns(await collect(a.find('alice', { ids: [ids[7]!, ids[2]!, ids[5]!] }))), [2, 5, 7]);
        assert.deepEqual(ns(await collect(a.find('alice', { ids: [ids[1]!, bobs!, 'no-such-id', '', ids[1]!] }))), [1]);
        assert.deepEqual(ns(await collect(a.find('alice', { ids: [] }))), []);
        assert.deepEqual(ns(await collect(a.find('alice', { ids: ['no-such-id'] }))), []);
      });

      it('limits, counting from the start of the iteration order', async () => {
        await fill('alice', 10);
        const a = p.archive<Msg>(H, 'mam');
        assert.deepEqual(ns(await collect(a.find('alice', { limit: 3 }))), [0, 1, 2]);
        assert.deepEqual(ns(await collect(a.find('alice', { limit: 3, reverse: true }))), [9, 8, 7]);
        assert.deepEqual(ns(await collect(a.find('alice', { limit: 0 }))), []);
        assert.deepEqual(ns(await collect(a.find('alice', { limit: 50 }))), range(0, 10));
        assert.deepEqual(ns(await collect(a.find('alice', { reverse: true }))), range(9, -1, -1));
      });

      it('combines every filter', async () => {
        // n:  0..39, when = 1000 + n, with cycles bob, carol, none, bob
        const ids = await fill('alice', 40, ['bob', 'carol', undefined, 'bob'], 1000);
        const a = p.archive<Msg>(H, 'mam');
        const bob = (n: number) => n % 4 === 0 || n % 4 === 3;
        const q = { with: 'bob', start: 1005, end: 1030, after: ids[6], before: ids[29] };
        const expected = range(0, 40).filter((n) => bob(n) && n >= 7 && n <= 28);
        assert.deepEqual(ns(await collect(a.find('alice', q))), expected);
        assert.deepEqual(ns(await collect(a.find('alice', { ...q, limit: 3 }))), expected.slice(0, 3));
        assert.deepEqual(ns(await collect(a.find('alice', { ...q, limit: 3, reverse: true }))), expected.slice(-3).reverse());
        assert.equal(await a.count('alice', { ...q, limit: 3 }), expected.length);
        const some = [ids[0]!, ids[8]!, ids[11]!, ids[12]!, ids[15]!, ids[28]!, ids[35]!];
        assert.deepEqual(ns(await collect(a.find('alice', { ...q, ids: some }))), [8, 11, 12, 15, 28]);
        assert.deepEqual(ns(await collect(a.find('alice', { ...q, ids: some, reverse: true, limit: 2 }))), [28, 15]);
        assert.deepEqual(ns(await collect(a.find('alice', { with: 'carol', start: 1010, limit: 2, reverse: true }))), [37, 33]);
        assert.deepEqual(ns(await collect(a.find('alice', { end: 1010, after: ids[4], reverse: true }))), [10, 9, 8, 7, 6, 5]);
      });

      it('keeps append order inside a time range even when `when` runs backwards (a clock set back)', async () => {
        // when: 0..19 → 1000 + (n * 7) % 20, a permutation; with alternates bob/carol.
        const a = p.archive<Msg>(H, 'mam');
        const ids: string[] = [];
        for (let n = 0; n < 20; n++) ids.push(await a.append('alice', { when: 1000 + ((n * 7) % 20), with: n % 2 ? 'carol' : 'bob', value: { n } }));
        await fill('bob', 10, ['bob'], 1000);
        const when = (n: number) => 1000 + ((n * 7) % 20);
        const inRange = range(0, 20).filter((n) => when(n) >= 1005 && when(n) <= 1014);
        const q = { start: 1005, end: 1014 };
        assert.deepEqual(ns(await collect(a.find('alice', q))), inRange);
        assert.deepEqual(ns(await collect(a.find('alice', { ...q, limit: 3 }))), inRange.slice(0, 3));
        assert.deepEqual(ns(await collect(a.find('alice', { ...q, limit: 3, reverse: true }))), inRange.slice(-3).reverse());
        const bobs = inRange.filter((n) => n % 2 === 0);
        assert.deepEqual(ns(await collect(a.find('alice', { ...q, with: 'bob', limit: 2, reverse: true }))), bobs.slice(-2).reverse());
        assert.deepEqual(ns(await collect(a.find('alice', { ...q, with: 'bob', after: ids[bobs[0]!] }))), bobs.slice(1));
        assert.equal(await a.count('alice', { ...q, with: 'bob' }), bobs.length);
        assert.equal(await a.count('alice', { ...q, before: ids[10] }), inRange.filter((n) => n < 10).length);
        assert.equal(await a.delete('alice', { ...q, with: 'bob', limit: 1, reverse: true }), 1);
        assert.equal(await a.delete('alice', { ...q, with: 'carol' }), inRange.length - bobs.length);
        assert.deepEqual(ns(await collect(a.find('alice', q))), bobs.slice(0, -1));
        assert.equal(await a.count('bob'), 10);
      });

      it('pages forward with after + limit, yielding each of 300 items once and in order', async () => {
        await fill('alice', 300, ['bob', 'carol', 'dave']);
        await fill('mallory', 20);
        const a = p.archive<Msg>(H, 'mam');
        const seen: number[] = [];
        let after: string | undefined;
        for (let pages = 0; ; pages++) {
          assert.ok(pages <= 30, 'paging terminates');
          const page = await collect(a.find('alice', { limit: 11, ...(after ? { after } : {}) }));
          seen.push(...ns(page));
          if (page.length < 11) break;
          after = page[page.length - 1]!.id;
        }
        assert.deepEqual(seen, range(0, 300));
      });

      it('pages backward with before + limit + reverse, yielding each of 300 items once, newest first', async () => {
        await fill('alice', 300, ['bob', 'carol', 'dave']);
        const a = p.archive<Msg>(H, 'mam');
        const seen: number[] = [];
        let before: string | undefined;
        for (let pages = 0; ; pages++) {
          assert.ok(pages <= 40, 'paging terminates');
          const page = await collect(a.find('alice', { limit: 8, reverse: true, ...(before ? { before } : {}) }));
          seen.push(...ns(page));
          if (page.length < 8) break;
          before = page[page.length - 1]!.id;
        }
        assert.deepEqual(seen, range(299, -1, -1));
        // And the same with a filter, as a MAM client paging one conversation would.
        const carol: number[] = [];
        before = undefined;
        for (;;) {
          const page: ArchiveRecord<Msg>[] = await collect(a.find('alice', { with: 'carol', limit: 7, reverse: true, ...(before ? { before } : {}) }));
          carol.push(...ns(page));
          if (page.length < 7) break;
          before = page[page.length - 1]!.id;
        }
        assert.deepEqual(carol, range(298, 0, -3));
      });

      it('finds more items than any page size a provider may use internally, and stops early on break', async () => {
        const a = p.archive<Msg>(H, 'mam');
        for (let i = 0; i < 1100; i++) await a.append('alice', { when: i, value: { n: i } });
        assert.deepEqual(ns(await collect(a.find('alice'))), range(0, 1100));
        assert.deepEqual(ns(await collect(a.find('alice', { reverse: true, limit: 700 }))), range(1099, 399, -1));
        let k = 0;
        for await (const r of a.find('alice')) {
          if (++k === 5) { assert.equal(r.value.n, 4); break; }
        }
      });

      it('takes writes while find() is being iterated', async () => {
        await fill('alice', 600);
        const a = p.archive<Msg>(H, 'mam');
        let k = 0;
        for await (const r of a.find('alice', { limit: 600 })) {
          assert.equal(r.value.n, k++);
          if (k % 50 === 0) {
            await a.append('bob', { value: { n: -1 } });
            await p.keyval<number>(H, 'kv').set('alice', k);
            await a.delete('bob');
          }
        }
        assert.equal(k, 600);
      });

      it('counts with the same filters as find, ignoring limit', async () => {
        const ids = await fill('alice', 20, ['bob', undefined], 0);
        await fill('bob', 5);
        const a = p.archive<Msg>(H, 'mam');
        assert.equal(await a.count('alice'), 20);
        assert.equal(await a.count('alice', {}), 20);
        assert.equal(await a.count('alice', { limit: 5 }), 20);
        assert.equal(await a.count('alice', { limit: 5, reverse: true }), 20);
        assert.equal(await a.count('alice', { with: 'bob' }), 10);
        assert.equal(await a.count('alice', { start: 5, end: 9 }), 5);
        assert.equal(await a.count('alice', { after: ids[14] }), 5);
        assert.equal(await a.count('alice', { before: ids[14], with: 'bob' }), 7);
        assert.equal(await a.count('alice', { ids: [ids[0]!, ids[1]!, 'nope'] }), 2);
        assert.equal(await a.count('alice', { ids: [] }), 0);
        assert.equal(await a.count('nobody'), 0);
      });

      it('deletes what a query matches and returns how many', async () => {
        const ids = await fill('alice', 20, ['bob', undefined], 0);
        await fill('bob', 5);
        const a = p.archive<Msg>(H, 'mam');
        assert.equal(await a.delete('alice', { with: 'bob', end: 9 }), 5);       // 0 2 4 6 8
        assert.equal(await a.delete('alice', { ids: [ids[1]!, ids[2]!] }), 1);  // 2 already gone
        assert.equal(await a.delete('alice', { after: ids[17] }), 2);           // 18 19
        assert.equal(await a.delete('alice', { limit: 2 }), 2);                 // 3 5: oldest first
        assert.equal(await a.delete('alice', { limit: 1, reverse: true }), 1);  // 17: newest
        assert.equal(await a.delete('alice', { with: 'nobody' }), 0);
        assert.deepEqual(ns(await collect(a.find('alice'))), [7, 9, 10, 11, 12, 13, 14, 15, 16]);
        assert.equal(await a.delete('alice'), 9);
        assert.equal(await a.count('alice'), 0);
        assert.equal(await a.delete('alice'), 0);
        assert.equal(await a.count('bob'), 5);
      });

      it('never reuses ids after delete, even across reopen', async () => {
        const a = p.archive<Msg>(H, 'mam');
        const first = await fill('alice', 5);
        assert.equal(await a.delete('alice', { ids: [first[4]!] }), 1);
        const [second] = await fill('alice', 1, [undefined], 10);
        assert.ok(!first.includes(second!), 'id of a deleted item reused');
        assert.equal(await a.delete('alice'), 5);
        const q = await reopen();
        const [third] = await fill('alice', 1, [undefined], 20);
        assert.ok(![...first, second].includes(third!), 'id reused after reopen');
        const b = q.archive<Msg>(H, 'mam');
        assert.deepEqual((await collect(b.find('alice', { after: first[4] }))).map((r) => r.id), [third]);
        assert.deepEqual((await collect(b.find('alice', { after: second }))).map((r) => r.id), [third]);
      });

      it('isolates hosts, stores and users', async () => {
        await p.archive<string>(H, 'mam').append('alice', { value: 'a' });
        await p.archive<string>(H2, 'mam').append('alice', { value: 'b' });
        await p.archive<string>(H, 'muc').append('alice', { value: 'c' });
        await p.archive<string>(H, 'mam').append('alice2', { value: 'd' });
        await p.archive<string>(H, 'mam').append('al', { value: 'e' });
        const vals = async (h: string, s: string, u: string) => (await collect(p.archive<string>(h, s).find(u))).map((r) => r.value);
        assert.deepEqual(await vals(H, 'mam', 'alice'), ['a']);
        assert.deepEqual(await vals(H2, 'mam', 'alice'), ['b']);
        assert.deepEqual(await vals(H, 'muc', 'alice'), ['c']);
        assert.equal(await p.archive(H, 'mam').delete('alice'), 1);
        assert.deepEqual(await vals(H2, 'mam', 'alice'), ['b']);
        assert.deepEqual(await vals(H, 'muc', 'alice'), ['c']);
        assert.deepEqual(sorted(await collect(p.archive(H, 'mam').users())), ['al', 'alice2']);
      });

      it('lists each user with at least one item exactly once', async () => {
        for (const u of ['carol', 'alice', 'bob', '']) await fill(u, 3);
        await fill('stranger', 1, [undefined], 0, 'other');
        await p.archive(H, 'mam').delete('bob');
        assert.deepEqual(sorted(await collect(p.archive(H, 'mam').users())), ['', 'alice', 'carol']);
      });

      it('stores every one of 100 concurrent appends under a distinct id', async () => {
        const a = p.archive<Msg>(H, 'mam');
        const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => a.append('alice', { when: i, value: { n: i } })));
        assert.equal(new Set(ids).size, 100);
        assert.equal(await a.count('alice'), 100);
        const recs = await collect(a.find('alice'));
        assert.deepEqual(sorted(recs.map((r) => r.id)), sorted(ids));
        assert.deepEqual(ns(recs).sort((x, y) => x - y), range(0, 100));
        for (const r of recs) assert.equal(r.id, ids[r.value.n], 'each id names the item its append stored');
      });
    });

    describe('provider', () => {
      it('purgeUser removes one user\'s data from every store and shape of one host only', async () => {
        for (const u of ['alice', 'bob']) {
          for (const h of [H, H2]) {
            await p.keyval<string>(h, 'accounts').set(u, 'x');
            await p.keyval<string>(h, 'vcard').set(u, 'x');
            await p.map<string>(h, 'bookmarks').set(u, 'k', 'x');
            await p.map<string>(h, 'pep').setMany(u, [['a', 'x'], ['b', 'x']]);
            await p.archive<string>(h, 'mam').append(u, { value: 'x' });
            await p.archive<string>(h, 'offline').append(u, { value: 'x' });
          }
        }
        await p.purgeUser(H, 'alice');
        await p.purgeUser(H, 'nobody');
        const holds = async (h: string, u: string) => [
          await p.keyval(h, 'accounts').get(u) !== undefined,
          await p.keyval(h, 'vcard').get(u) !== undefined,
          (await p.map(h, 'bookmarks').all(u)).size > 0,
          (await p.map(h, 'pep').all(u)).size > 0,
          await p.archive(h, 'mam').count(u) > 0,
          await p.archive(h, 'offline').count(u) > 0,
        ];
        assert.deepEqual(await holds(H, 'alice'), [false, false, false, false, false, false]);
        assert.deepEqual(await holds(H, 'bob'), [true, true, true, true, true, true]);
        assert.deepEqual(await holds(H2, 'alice'), [true, true, true, true, true, true]);
        assert.deepEqual(sorted(await collect(p.keyval(H, 'accounts').users())), ['bob']);
        assert.deepEqual(sorted(await collect(p.archive(H, 'mam').users())), ['bob']);
      });

      it('keeps every shape across close and reopen', async () => {
        await p.keyval<unknown>(H, 'accounts').set('alice', { salt: 'ü', n: null });
        await p.keyval<unknown>(H, 'accounts').set('gone', 1);
        await p.keyval<unknown>(H, 'accounts').set('gone', undefined);
        await p.map<number>(H, 'pep').setMany('alice', [['a', 1], ['b', 2]]);
        const ids: string[] = [];
        for (const i of [0, 1, 2]) ids.push(await p.archive<number>(H, 'mam').append('alice', { when: 10 + i, with: 'bob', value: i }));
        const q = await reopen();
        assert.deepEqual(await q.keyval(H, 'accounts').get('alice'), { salt: 'ü', n: null });
        assert.deepEqual(await collect(q.keyval(H, 'accounts').users()), ['alice']);
        assert.deepEqual(Object.fromEntries(await q.map(H, 'pep').all('alice')), { a: 1, b: 2 });
        const recs = await collect(q.archive<number>(H, 'mam').find('alice'));
        assert.deepEqual(recs, ids.map((id, i) => ({ id, when: 10 + i, with: 'bob', value: i })));
        const next = await q.archive<number>(H, 'mam').append('alice', { value: 3 });
        assert.deepEqual((await collect(q.archive<number>(H, 'mam').find('alice', { after: ids[2] }))).map((r) => r.id), [next]);
      });

      it('close is idempotent', async () => {
        await p.close();
        await p.close();
      });

      it('has a name', () => {
        assert.equal(typeof p.name, 'string');
        assert.ok(p.name.length > 0);
      });
    });
  });
}
