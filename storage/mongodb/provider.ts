/**
 * The MongoDB provider, on the official `mongodb` driver: the three generic shapes over one
 * collection per shape (see plan.ts for the data model, the indexes and why).
 *
 * Durability and consistency:
 * - Writes use write concern `majority` (journaled) by default, so an acknowledged write, and
 *   with it an acknowledged offline message or an XEP-0198 ack the server gives after storing,
 *   survives a failover; `storage.mongodb.write_concern` can lower it. Retryable writes are on
 *   (the driver default): one transient failure of a write is retried by the driver itself, and
 *   the server de-duplicates it.
 * - Reads use read concern `majority` by default, so nothing is read (an account, an offline
 *   message about to be delivered) that a failover could roll back.
 * - Archive ids come from a per-(host, store) counter document (`$inc`, retryable), so they are
 *   decimal integers increasing in append order, never reused (the counter outlives deletions),
 *   and they keep the embedded provider's ids' form, which lets the migration keep every id.
 *   The id is allocated before the document is inserted, and the insert is retried with that
 *   same id when its outcome is unknown: a duplicate-key answer then means the earlier attempt
 *   landed, so a retried append never stores the item twice. Two concurrent appends can become
 *   visible out of id order (the one with the higher id first) for the moment between the
 *   allocation and the insert; the per-user queues in the modules make that rare for one user.
 * - Map setMany runs in a transaction where the deployment has them (replica set, sharded
 *   cluster); on a standalone server it is an ordered bulk write, atomic only in that every value
 *   is encoded before anything is written.
 *
 * Failures: every driver error is mapped by errors.ts; "unreachable for now" becomes
 * TERN_ERR_STORAGE_UNAVAILABLE. The MongoClient is created once and kept: it reconnects by
 * itself (server monitoring, connection pool), and nothing here caches a connection, a session
 * or a cursor across calls, so once MongoDB is back the next operation simply succeeds.
 */
import { type ClientSession, type Collection, type Db, type Document, MongoClient, type MongoClientOptions } from 'mongodb';
import { ServerError } from '../../server/core/errors.js';
import type { ArchiveOptions, ArchiveQuery, ArchiveRecord, ArchiveStore, KeyValueStore, MapStore, StorageProvider } from '../types.js';
import { isDuplicateKey, isUnavailable, mongoStorageError, redactUrl } from './errors.js';
import { COLLECTIONS, INDEXES, missingIndexes, nextUserQuery, planArchive, type IndexSpec, type USERS_INDEX } from './plan.js';

export interface MongoStorageOptions {
  url: string;
  database: string;
  /** 'majority' (default) or a number of members. */
  writeConcern?: 'majority' | number;
  journal?: boolean;
  /** Milliseconds a write waits for its write concern before failing (as unavailable). */
  writeTimeoutMs?: number;
  readConcern?: 'majority' | 'local';
  serverSelectionTimeoutMs?: number;
  connectTimeoutMs?: number;
  tls?: boolean;
  tlsCAFile?: string;
  tlsCertificateKeyFile?: string;
  appName?: string;
  /** Create missing indexes at open (default); `tern storage check` opens without, to report them. */
  ensureIndexes?: boolean;
}

/** Items fetched per round trip by find(). */
const PAGE = 256;
/** Attempts of an archive insert whose outcome is unknown, beyond the driver's own retry. */
const INSERT_ATTEMPTS = 3;

function encode(value: unknown): string {
  const text = JSON.stringify(value);
  if (typeof text !== 'string') throw new TypeError(`value of type ${typeof value} is not JSON-serialisable`);
  return text;
}

async function attempt<R>(what: string, fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (err) {
    throw mongoStorageError(what, err);
  }
}

export function clientOptions(o: MongoStorageOptions): MongoClientOptions {
  const opts: MongoClientOptions = {
    writeConcern: { w: o.writeConcern ?? 'majority', journal: o.journal ?? true, ...(o.writeTimeoutMs ? { wtimeoutMS: o.writeTimeoutMs } : {}) },
    readConcern: { level: o.readConcern ?? 'majority' },
    retryWrites: true,
    retryReads: true,
    serverSelectionTimeoutMS: o.serverSelectionTimeoutMs ?? 30_000,
    connectTimeoutMS: o.connectTimeoutMs ?? 10_000,
    appName: o.appName ?? 'tern',
    // Values are JSON text and ids plain numbers: no BSON Long or Decimal ever reaches the code.
    promoteLongs: true,
  };
  if (o.tls !== undefined) opts.tls = o.tls;
  if (o.tlsCAFile) opts.tlsCAFile = o.tlsCAFile;
  if (o.tlsCertificateKeyFile) opts.tlsCertificateKeyFile = o.tlsCertificateKeyFile;
  return opts;
}

export interface IndexReport { present: IndexSpec[]; missing: IndexSpec[] }

/** Lists the indexes of every collection and compares them with INDEXES. */
export async function inspectIndexes(db: Db): Promise<IndexReport> {
  const present: Array<{ collection: string; name: string; key: Record<string, unknown>; unique?: boolean }> = [];
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const c of COLLECTIONS) {
    if (!existing.has(c)) continue;
    for (const ix of await db.collection(c).listIndexes().toArray()) {
      present.push({ collection: c, name: String(ix.name), key: ix.key as Record<string, unknown>, unique: ix.unique === true });
    }
  }
  const missing = missingIndexes(present);
  return { present: INDEXES.filter((i) => !missing.includes(i)), missing };
}

export async function ensureIndexes(db: Db): Promise<void> {
  for (const c of COLLECTIONS) {
    const specs = INDEXES.filter((i) => i.collection === c);
    await db.collection(c).createIndexes(specs.map((i) => ({ key: i.key, name: i.name, ...(i.unique ? { unique: true } : {}) })));
  }
}

/** Connects (failing within serverSelectionTimeoutMs when nothing answers) and prepares the indexes. */
export async function openMongoStorage(o: MongoStorageOptions): Promise<MongoProvider> {
  const client = new MongoClient(o.url, clientOptions(o));
  try {
    await client.connect();
    const db = client.db(o.database);
    const hello = await db.admin().command({ hello: 1 });
    const transactions = typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
    if (o.ensureIndexes !== false) await ensureIndexes(db);
    return new MongoProvider(client, db, transactions);
  } catch (err) {
    await client.close().catch(() => {});
    const e = mongoStorageError(`cannot open MongoDB storage at ${redactUrl(o.url)} (database ${o.database})`, err);
    throw e;
  }
}

type Shape = keyof typeof USERS_INDEX;

export class MongoProvider implements StorageProvider {
  readonly name = 'mongodb';
  private closed = false;
  readonly kv: Collection;
  readonly mp: Collection;
  readonly ar: Collection;
  readonly counters: Collection;

  constructor(readonly client: MongoClient, readonly db: Db, readonly transactions: boolean) {
    this.kv = db.collection('keyval');
    this.mp = db.collection('map');
    this.ar = db.collection('archive');
    this.counters = db.collection('counters');
  }

  private coll(shape: Shape): Collection {
    return shape === 'keyval' ? this.kv : shape === 'map' ? this.mp : this.ar;
  }

  async *users(shape: Shape, host: string, store: string): AsyncGenerator<string> {
    let prev: string | undefined;
    for (;;) {
      const q = nextUserQuery(shape, host, store, prev);
      const doc = await attempt(`${shape} users (${host}/${store})`, () =>
        this.coll(shape).findOne(q.filter, { sort: q.sort, hint: q.hint, projection: { _id: 0, u: 1 } }));
      if (!doc) return;
      prev = doc.u as string;
      yield prev;
    }
  }

  keyval<T>(host: string, store: string): KeyValueStore<T> {
    const what = (op: string) => `keyval ${op} (${host}/${store})`;
    return {
      get: (user) => attempt(what('get'), async () => {
        const doc = await this.kv.findOne({ h: host, s: store, u: user }, { projection: { _id: 0, v: 1 } });
        return doc ? JSON.parse(doc.v as string) as T : undefined;
      }),
      set: (user, value) => attempt(what('set'), async () => {
        if (value === undefined) await this.kv.deleteOne({ h: host, s: store, u: user });
        else await this.kv.updateOne({ h: host, s: store, u: user }, { $set: { v: encode(value) } }, { upsert: true });
      }),
      users: () => this.users('keyval', host, store),
    };
  }

  map<T>(host: string, store: string): MapStore<T> {
    const what = (op: string) => `map ${op} (${host}/${store})`;
    const op = (user: string, key: string, text: string | undefined) => (text === undefined
      ? { deleteOne: { filter: { h: host, s: store, u: user, k: key } } }
      : { updateOne: { filter: { h: host, s: store, u: user, k: key }, update: { $set: { v: text } }, upsert: true } });
    return {
      get: (user, key) => attempt(what('get'), async () => {
        const doc = await this.mp.findOne({ h: host, s: store, u: user, k: key }, { projection: { _id: 0, v: 1 } });
        return doc ? JSON.parse(doc.v as string) as T : undefined;
      }),
      set: (user, key, value) => attempt(what('set'), async () => {
        if (value === undefined) await this.mp.deleteOne({ h: host, s: store, u: user, k: key });
        else await this.mp.updateOne({ h: host, s: store, u: user, k: key }, { $set: { v: encode(value) } }, { upsert: true });
      }),
      setMany: (user, entries) => attempt(what('setMany'), async () => {
        // Encode everything first: a value that cannot be stored fails the call before any write.
        const last = new Map<string, string | undefined>();
        for (const [k, v] of entries) last.set(k, v === undefined ? undefined : encode(v));
        if (last.size === 0) return;
        const ops = [...last].map(([k, text]) => op(user, k, text));
        if (this.transactions) {
          await this.client.withSession((session: ClientSession) => session.withTransaction(async () => {
            await this.mp.bulkWrite(ops, { ordered: true, session });
          }));
        } else {
          await this.mp.bulkWrite(ops, { ordered: true });
        }
      }),
      all: (user) => attempt(what('all'), async () => {
        const out = new Map<string, T>();
        for (const doc of await this.mp.find({ h: host, s: store, u: user }, { projection: { _id: 0, k: 1, v: 1 }, hint: 'map_key' }).toArray()) {
          out.set(doc.k as string, JSON.parse(doc.v as string) as T);
        }
        return out;
      }),
      deleteUser: (user) => attempt(what('deleteUser'), async () => { await this.mp.deleteMany({ h: host, s: store, u: user }); }),
      users: () => this.users('map', host, store),
    };
  }

  /** Every append waits for its write concern: 'deferred' durability changes nothing here. */
  archive<T>(host: string, store: string, _opts?: ArchiveOptions): MongoArchive<T> {
    return new MongoArchive<T>(this, host, store);
  }

  async purgeUser(host: string, user: string): Promise<void> {
    await attempt(`purgeUser (${host})`, async () => {
      // Stores of the host by a distinct scan of the (h, s, …) indexes; then one indexed delete each.
      for (const c of [this.kv, this.mp, this.ar]) {
        const stores = await c.distinct('s', { h: host });
        for (const s of stores) await c.deleteMany({ h: host, s, u: user });
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await attempt('close', () => this.client.close());
  }
}

function toRecord<T>(doc: Document): ArchiveRecord<T> {
  const rec: ArchiveRecord<T> = { id: String(doc.n), when: doc.t as number, value: JSON.parse(doc.v as string) as T };
  if (typeof doc.w === 'string') rec.with = doc.w;
  return rec;
}

export class MongoArchive<T> implements ArchiveStore<T> {
  constructor(private readonly p: MongoProvider, readonly host: string, readonly store: string) {}

  private what(op: string): string {
    return `archive ${op} (${this.host}/${this.store})`;
  }

  /** Allocates the next id of (host, store); `$max` by the migration keeps it above imported ids. */
  private async nextId(): Promise<number> {
    const doc = await this.p.counters.findOneAndUpdate({ h: this.host, s: this.store }, { $inc: { n: 1 } }, { upsert: true, returnDocument: 'after' });
    return doc!.n as number;
  }

  async append(user: string, item: { when?: number; with?: string; value: T }): Promise<string> {
    return attempt(this.what('append'), async () => {
      const v = encode(item.value);
      const n = await this.nextId();
      const doc: Document = { h: this.host, s: this.store, u: user, n, t: item.when ?? Date.now(), v };
      if (item.with !== undefined) doc.w = item.with;
      for (let i = 1; ; i++) {
        try {
          await this.p.ar.insertOne({ ...doc });
          return String(n);
        } catch (err) {
          // The id is ours alone: a duplicate on it means an earlier attempt was stored after all.
          if (i > 1 && isDuplicateKey(err)) return String(n);
          if (i >= INSERT_ATTEMPTS || !isUnavailable(err)) throw err;
          await new Promise((r) => setTimeout(r, 100 * i));
        }
      }
    });
  }

  /** Ids of one page of a plan, ordered (covered by the plan's index when two-phase). */
  private async page(plan: NonNullable<ReturnType<typeof planArchive>>, limit: number): Promise<ArchiveRecord<T>[]> {
    if (plan.twoPhase) {
      const keys = await this.p.ar.find(plan.filter, { projection: { _id: 0, n: 1 }, sort: plan.sort, hint: plan.hint, limit }).toArray();
      if (keys.length === 0) return [];
      const docs = await this.p.ar.find({ h: this.host, s: this.store, u: plan.filter.u, n: { $in: keys.map((k) => k.n) } },
        { projection: { _id: 0, n: 1, t: 1, w: 1, v: 1 }, sort: plan.sort, hint: 'archive_by_id' }).toArray();
      return docs.map((d) => toRecord<T>(d));
    }
    const docs = await this.p.ar.find(plan.filter, { projection: { _id: 0, n: 1, t: 1, w: 1, v: 1 }, sort: plan.sort, hint: plan.hint, limit }).toArray();
    return docs.map((d) => toRecord<T>(d));
  }

  async *find(user: string, query: ArchiveQuery = {}): AsyncGenerator<ArchiveRecord<T>> {
    const q: ArchiveQuery = { ...query };
    let remaining = planArchive(this.host, this.store, user, q)?.limit ?? Infinity;
    while (remaining > 0) {
      const plan = planArchive(this.host, this.store, user, q);
      if (plan === null) return;
      const size = Math.min(remaining, PAGE);
      const rows = await attempt(this.what('find'), () => this.page(plan, size));
      yield* rows;
      if (rows.length < size) return;
      remaining -= rows.length;
      // Keyset pagination on the id, in iteration order.
      const last = rows[rows.length - 1]!.id;
      if (q.reverse) q.before = last;
      else q.after = last;
    }
  }

  async count(user: string, query: ArchiveQuery = {}): Promise<number> {
    const plan = planArchive(this.host, this.store, user, query);
    if (plan === null) return 0;
    return attempt(this.what('count'), () => this.p.ar.countDocuments(plan.filter, { hint: plan.hint }));
  }

  async delete(user: string, query: ArchiveQuery = {}): Promise<number> {
    const plan = planArchive(this.host, this.store, user, query);
    if (plan === null) return 0;
    return attempt(this.what('delete'), async () => {
      if (plan.limit === undefined) return (await this.p.ar.deleteMany(plan.filter, { hint: plan.hint })).deletedCount;
      if (plan.limit === 0) return 0;
      const keys = await this.p.ar.find(plan.filter, { projection: { _id: 0, n: 1 }, sort: plan.sort, hint: plan.hint, limit: plan.limit }).toArray();
      if (keys.length === 0) return 0;
      return (await this.p.ar.deleteMany({ h: this.host, s: this.store, u: user, n: { $in: keys.map((k) => k.n) } }, { hint: 'archive_by_id' })).deletedCount;
    });
  }

  users(): AsyncIterable<string> {
    return this.p.users('archive', this.host, this.store);
  }

  /**
   * Migration: stores records under their own ids (idempotent upserts, so a re-run changes
   * nothing) and raises the (host, store) counter to at least the highest, so later appends
   * continue after them. Not part of ArchiveStore.
   */
  async importRecords(user: string, records: ReadonlyArray<ArchiveRecord<T>>): Promise<void> {
    if (records.length === 0) return;
    await attempt(this.what('import'), async () => {
      let max = 0;
      const ops = records.map((r) => {
        const n = Number(r.id);
        if (!Number.isSafeInteger(n) || n <= 0) throw new ServerError('TERN_ERR_STORAGE', `archive id ${JSON.stringify(r.id)} is not a positive integer`);
        max = Math.max(max, n);
        const set: Document = { t: r.when, v: encode(r.value) };
        const update: Document = { $set: set };
        if (r.with !== undefined) set.w = r.with;
        else update.$unset = { w: '' };
        return { updateOne: { filter: { h: this.host, s: this.store, u: user, n }, update, upsert: true } };
      });
      await this.p.ar.bulkWrite(ops, { ordered: false });
      await this.p.counters.updateOne({ h: this.host, s: this.store }, { $max: { n: max } }, { upsert: true });
    });
  }
}
