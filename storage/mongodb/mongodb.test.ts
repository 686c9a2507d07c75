/**
 * The MongoDB provider. The storage contract runs against a real server when MONGODB_URL is
 * set (`MONGODB_URL=mongodb://127.0.0.1:27017/?replicaSet=rs0 npm run test:mongodb`), each test
 * in a database of its own that is dropped afterwards; without it the suite is reported as
 * pending. Everything else here needs no server: query and index planning, error mapping, and
 * a real connection attempt to a closed port.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { MongoClient, MongoNetworkError, MongoNetworkTimeoutError, MongoServerError, MongoServerSelectionError, MongoWriteConcernError } from 'mongodb';
import { ServerError, internalStanzaError } from '../../server/core/errors.js';
import { storageContract } from '../contract/index.js';
import type { ArchiveQuery } from '../types.js';
import { isDuplicateKey, mongoStorageError, redactUrl } from './errors.js';
import { INDEXES, indexNamed, missingIndexes, nextUserQuery, parseId, planArchive, serves } from './plan.js';
import { openMongoStorage } from './provider.js';

const URL = process.env.MONGODB_URL;

if (URL) {
  let n = 0;
  const run = `${process.pid}_${Date.now().toString(36)}`;
  storageContract(`mongodb (${redactUrl(URL)})`, async () => {
    const database = `tern_contract_${run}_${n++}`;
    return {
      open: () => openMongoStorage({ url: URL, database, serverSelectionTimeoutMs: 10_000 }),
      cleanup: async () => {
        const c = new MongoClient(URL);
        try { await c.db(database).dropDatabase(); } finally { await c.close(); }
      },
    };
  });
} else {
  describe('storage contract: mongodb', () => {
    it('skipped: MONGODB_URL is not set, so no MongoDB server to run against (this machine cannot run mongod)', function () {
      this.skip();
    });
  });
}

describe('mongodb provider: query planning (no server)', () => {
  const H = 'example.org';
  const plan = (q: ArchiveQuery) => planArchive(H, 'mam', 'alice', q);

  it('turns each ArchiveQuery filter into the matching MongoDB filter, sort and limit', () => {
    assert.deepEqual(plan({}), { filter: { h: H, s: 'mam', u: 'alice' }, sort: { n: 1 }, hint: 'archive_by_id', twoPhase: false });
    assert.deepEqual(plan({ with: 'bob@example.net', after: '10', before: '20', limit: 5, reverse: true }), {
      filter: { h: H, s: 'mam', u: 'alice', w: 'bob@example.net', n: { $gt: 10, $lt: 20 } },
      sort: { n: -1 }, hint: 'archive_by_with', limit: 5, twoPhase: false,
    });
    assert.deepEqual(plan({ start: 100, end: 200 })?.filter, { h: H, s: 'mam', u: 'alice', t: { $gte: 100, $lte: 200 } });
    assert.equal(plan({ start: 100 })?.hint, 'archive_by_time');
    assert.equal(plan({ start: 100 })?.twoPhase, true);
    assert.equal(plan({ with: 'b', end: 5 })?.hint, 'archive_by_with_time');
    assert.deepEqual(plan({ ids: ['3', '1', '3', 'x'], with: 'b', start: 1 })?.filter.n, { $in: [3, 1] });
    assert.equal(plan({ ids: ['3'], with: 'b', start: 1 })?.hint, 'archive_by_id');
    assert.equal(plan({ ids: ['3'], start: 1 })?.twoPhase, false, 'ids bound the work already');
    assert.equal(plan({ limit: 2.7 })?.limit, 2);
    assert.equal(plan({ limit: -1 })?.limit, 0);
    assert.equal(plan({ limit: Infinity })?.limit, undefined);
  });

  it('matches nothing for ids that no item can have, as the embedded provider does', () => {
    for (const bad of ['abc', '007', '-1', '1.5', '', '99999999999999999']) {
      assert.equal(parseId(bad), undefined, bad);
      assert.equal(plan({ after: bad }), null);
      assert.equal(plan({ before: bad }), null);
    }
    assert.equal(plan({ ids: [] }), null);
    assert.equal(plan({ ids: ['no-such-id'] }), null);
    assert.equal(parseId('0'), 0);
    assert.equal(parseId('123'), 123);
  });

  it('has an index that serves every query shape the ArchiveStore API can issue, with no scan of other users', () => {
    const fields = ['with', 'start', 'end', 'after', 'before', 'ids', 'limit', 'reverse'] as const;
    const sample: Required<ArchiveQuery> = { with: 'bob', start: 1, end: 9, after: '1', before: '9', ids: ['2', '3'], limit: 5, reverse: true };
    let shapes = 0;
    for (let mask = 0; mask < 1 << fields.length; mask++) {
      const q: ArchiveQuery = {};
      fields.forEach((f, i) => { if (mask & (1 << i)) (q as Record<string, unknown>)[f] = sample[f]; });
      const p = plan(q)!;
      const ix = indexNamed(p.hint);
      assert.equal(ix.collection, 'archive');
      assert.ok(serves(ix.key, p), `${JSON.stringify(q)} → ${p.hint}`);
      // The chosen index starts with the user's equality prefix, so no other user's key is read.
      assert.deepEqual(Object.keys(ix.key).slice(0, 3), ['h', 's', 'u']);
      shapes++;
    }
    assert.equal(shapes, 256);
  });

  it('does not call an index serving that would sort documents or filter outside the index', () => {
    const byId = indexNamed('archive_by_id').key;
    const byTime = indexNamed('archive_by_time').key;
    assert.equal(serves(byId, plan({ with: 'bob' })!), false, 'with is not in archive_by_id');
    assert.equal(serves(byId, plan({ start: 5 })!), false, 'time is not in archive_by_id');
    assert.equal(serves(byTime, { ...plan({ start: 5 })!, twoPhase: false }), false, 'archive_by_time is not in id order');
    assert.equal(serves({ h: 1, s: 1, n: 1 }, plan({})!), false, 'an index without the user would scan other users');
  });

  it('enumerates users by index seeks on each shape\'s unique index', () => {
    assert.deepEqual(nextUserQuery('keyval', H, 'accounts', undefined), { filter: { h: H, s: 'accounts' }, sort: { u: 1 }, hint: 'kv_user' });
    assert.deepEqual(nextUserQuery('archive', H, 'mam', 'bob').filter, { h: H, s: 'mam', u: { $gt: 'bob' } });
    for (const shape of ['keyval', 'map', 'archive'] as const) {
      const ix = indexNamed(nextUserQuery(shape, H, 's', undefined).hint);
      assert.deepEqual(Object.keys(ix.key).slice(0, 3), ['h', 's', 'u']);
      assert.equal(ix.unique, true);
    }
  });

  it('declares unique indexes where the data model is unique, and reports missing ones', () => {
    const unique = INDEXES.filter((i) => i.unique).map((i) => `${i.collection}.${i.name}`);
    assert.deepEqual(unique, ['keyval.kv_user', 'map.map_key', 'archive.archive_by_id', 'counters.counter_store']);
    const all = INDEXES.map((i) => ({ collection: i.collection, name: i.name, key: { ...i.key }, ...(i.unique ? { unique: true } : {}) }));
    assert.deepEqual(missingIndexes(all), []);
    assert.deepEqual(missingIndexes(all.filter((i) => i.name !== 'archive_by_with')).map((i) => i.name), ['archive_by_with']);
    // Same name, other key order: not the index the plans hint at.
    const swapped = all.map((i) => (i.name === 'archive_by_time' ? { ...i, key: { h: 1, s: 1, u: 1, n: 1, t: 1 } } : i));
    assert.deepEqual(missingIndexes(swapped).map((i) => i.name), ['archive_by_time']);
    // A unique index that lost its uniqueness no longer guarantees one document per key.
    const nonUnique = all.map((i) => (i.name === 'kv_user' ? { ...i, unique: false } : i));
    assert.deepEqual(missingIndexes(nonUnique).map((i) => i.name), ['kv_user']);
    assert.deepEqual(missingIndexes([]).length, INDEXES.length);
  });
});

describe('mongodb provider: error mapping (no server)', () => {
  it('maps unreachable-for-now driver errors to TERN_ERR_STORAGE_UNAVAILABLE, which stanzas answer with wait', () => {
    const unavailable: Error[] = [
      new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed'),
      new MongoNetworkTimeoutError('connection timed out'),
      new MongoServerSelectionError('Server selection timed out after 500 ms', { type: 'Unknown', servers: new Map(), stale: false, compatible: true, heartbeatFrequencyMS: 10000, localThresholdMS: 15, setName: null, maxElectionId: null, maxSetVersion: null, commonWireVersion: 0, logicalSessionTimeoutMinutes: null } as never),
      new MongoServerError({ message: 'not primary', code: 10107, codeName: 'NotWritablePrimary' }),
      new MongoServerError({ message: 'stepped down', code: 189, codeName: 'PrimarySteppedDown' }),
      new MongoServerError({ message: 'shutting down', code: 91, codeName: 'ShutdownInProgress' }),
      new MongoWriteConcernError({ writeConcernError: { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out' } } as never),
    ];
    for (const err of unavailable) {
      const e = mongoStorageError('archive append (example.org/offline)', err);
      assert.ok(e instanceof ServerError);
      assert.equal(e.code, 'TERN_ERR_STORAGE_UNAVAILABLE', err.name + ': ' + err.message);
      assert.equal(e.cause, err);
      assert.match(e.message, /archive append \(example\.org\/offline\): MongoDB unavailable/);
      const s = internalStanzaError(e);
      assert.equal(s.condition, 'internal-server-error');
      assert.equal(s.type, 'wait');
    }
  });

  it('maps other failures to TERN_ERR_STORAGE (cancel), and leaves ServerErrors alone', () => {
    const tooBig = new MongoServerError({ message: 'document too large', code: 10334, codeName: 'BSONObjectTooLarge' });
    const e = mongoStorageError('keyval set', tooBig);
    assert.equal(e.code, 'TERN_ERR_STORAGE');
    assert.equal(internalStanzaError(e).type, 'cancel');
    assert.equal(mongoStorageError('x', new TypeError('value of type function is not JSON-serialisable')).code, 'TERN_ERR_STORAGE');
    const own = new ServerError('TERN_ERR_CONFIG', 'x');
    assert.equal(mongoStorageError('x', own), own);
    assert.ok(isDuplicateKey(new MongoServerError({ message: 'E11000 duplicate key', code: 11000 })));
    assert.ok(!isDuplicateKey(tooBig));
  });

  it('keeps passwords out of messages', () => {
    assert.equal(redactUrl('mongodb://tern:s3cr%40t@db1,db2/?replicaSet=rs0'), 'mongodb://tern:***@db1,db2/?replicaSet=rs0');
    assert.equal(redactUrl('mongodb+srv://tern@cluster.example.net/'), 'mongodb+srv://tern@cluster.example.net/');
    assert.equal(redactUrl('mongodb://127.0.0.1:27017'), 'mongodb://127.0.0.1:27017');
  });

  it('fails to open against a closed port within the server selection timeout, as unavailable, without the password', async function () {
    this.timeout(10_000);
    // A port that was free a moment ago: nothing listens on it.
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const t0 = Date.now();
    const err = await openMongoStorage({ url: `mongodb://tern:hunter2@127.0.0.1:${port}/`, database: 'tern', serverSelectionTimeoutMs: 300, connectTimeoutMs: 300 })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ServerError, String(err));
    assert.equal(err.code, 'TERN_ERR_STORAGE_UNAVAILABLE');
    assert.match(err.message, new RegExp(`cannot open MongoDB storage at mongodb://tern:\\*\\*\\*@127\\.0\\.0\\.1:${port}/ \\(database tern\\)`));
    assert.doesNotMatch(err.message, /hunter2/);
    assert.ok(Date.now() - t0 < 5000, `gave up after ${Date.now() - t0} ms`);
  });
});
