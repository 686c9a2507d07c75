/**
 * The embedded default provider: one SQLite file, `<dir>/tern.sqlite`, through better-sqlite3.
 *
 * better-sqlite3 is synchronous, so every read does its whole job inside one call and only
 * the promise it returns is asynchronous; writes are queued and committed in groups (see
 * `write`). Two consequences shape the code:
 * - each call is atomic with respect to every other call in this process (no interleaving
 *   inside a statement or transaction), which is why concurrent appends need no locking;
 * - a statement iterator keeps the connection busy and better-sqlite3 then refuses writes, so
 *   `find()` and `users()` never hold a cursor across an `await`: they fetch bounded pages with
 *   keyset pagination (by id, by user) and a consumer may write while it iterates.
 *
 * Archive ids are the table's rowid as a decimal string. AUTOINCREMENT keeps the highest id
 * ever issued in sqlite_sequence, so ids are never reused, even after deleting the newest
 * items or across restarts. Query ids that are not canonical decimal integers (`after:
 * 'abc'`, `ids: ['007']`) cannot name any item, so such a filter matches nothing rather than
 * throwing; callers that must tell a client "no such id" check existence themselves.
 *
 * Every failure (SQLite, JSON that does not parse back, use after close) surfaces as
 * ServerError('TERN_ERR_STORAGE') with the original error as `cause`.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type Checkpointer, startCheckpointer } from './checkpointer.js';
import { ServerError } from '../../server/core/errors.js';
import type {
  ArchiveOptions, ArchiveQuery, ArchiveRecord, ArchiveStore, KeyValueStore, MapStore, StorageProvider,
} from '../types.js';

export interface EmbeddedStorageOptions {
  dir: string;
  /**
   * 'normal' (default): with WAL, a commit has been written to the WAL file before it returns,
   * so it survives the process crashing or being killed (kill -9, OOM killer): the data is in
   * the OS page cache and SQLite replays the WAL at the next open. Only an OS crash or power
   * loss can lose the most recent commits (never corrupt the file), because the WAL is fsynced
   * at checkpoints rather than at every commit.
   * 'full': fsync the WAL at every commit, so commits also survive power loss, at the price of
   * one fsync per write.
   */
  synchronous?: 'normal' | 'full';
}

export const SCHEMA_VERSION = 1;
const FILE_NAME = 'tern.sqlite';
/** Long enough to ride out another process's checkpoint (an admin tool, a backup). */
const BUSY_TIMEOUT_MS = 5000;
/** Rows fetched per round trip by find(); bounds memory while iterating huge archives. */
const PAGE = 256;
/** How often the checkpointer thread moves committed pages from the WAL into the database. */
const CHECKPOINT_INTERVAL_MS = 100;
const BACKSTOP_CHECKPOINT_PAGES = 65_536;
const CACHE_KIB = 32 * 1024;
/** Longest a deferred append waits for its commit, and most deferred appends one commit holds. */
const DEFERRED_COMMIT_MS = 1000;
const DEFERRED_MAX = 50_000;
/** The dirty-set key of a write that touches every store (an account's purge). */
const EVERY_STORE = '*';
/** A store's key in the dirty set. */
const storeKey = (shape: Tables, host: string, store: string): string => `${shape} ${host} ${store}`;

type Tables = 'keyval' | 'map' | 'archive';
type Params = Record<string, string | number | null>;
interface ArchiveRow { id: number; time: number; with: string | null; value: string }

function storageError(what: string, err: unknown): ServerError {
  if (err instanceof ServerError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new ServerError('TERN_ERR_STORAGE', `${what}: ${msg}`, err);
}

function attempt<R>(what: string, fn: () => R): R {
  try {
    return fn();
  } catch (err) {
    throw storageError(what, err);
  }
}

function encode(value: unknown): string {
  const text = JSON.stringify(value);
  // JSON.stringify returns undefined (not a string) for functions and symbols; storing that
  // would make the row read back as something other than what was written.
  if (typeof text !== 'string') throw new TypeError(`value of type ${typeof value} is not JSON-serialisable`);
  return text;
}

/** Archive ids are canonical decimal rowids; anything else names no item. */
function parseId(id: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(id)) return undefined;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : undefined;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS keyval (
    host TEXT NOT NULL, store TEXT NOT NULL, user TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (host, store, user)
  );
  CREATE TABLE IF NOT EXISTS map (
    host TEXT NOT NULL, store TEXT NOT NULL, user TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (host, store, user, key)
  );
  CREATE TABLE IF NOT EXISTS archive (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    host TEXT NOT NULL, store TEXT NOT NULL, user TEXT NOT NULL,
    time INTEGER NOT NULL, "with" TEXT NULL, value TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS archive_by_id ON archive (host, store, user, id);
  CREATE INDEX IF NOT EXISTS archive_by_time ON archive (host, store, user, time);
  CREATE INDEX IF NOT EXISTS archive_by_with ON archive (host, store, user, "with", id);
  CREATE INDEX IF NOT EXISTS archive_by_with_time ON archive (host, store, user, "with", time);
`;

function migrate(db: Database.Database): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    if (row === undefined) {
      db.exec(SCHEMA);
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
      return;
    }
    const version = Number(row.value);
    if (version !== SCHEMA_VERSION) {
      throw new ServerError('TERN_ERR_STORAGE', version > SCHEMA_VERSION
        ? `database schema version ${row.value} is newer than this Tern supports (${SCHEMA_VERSION}); upgrade Tern`
        : `database schema version ${JSON.stringify(row.value)} is not one this Tern knows`);
    }
    // Idempotent, and restores an index someone dropped by hand.
    db.exec(SCHEMA);
  }).immediate(); // IMMEDIATE: two processes opening a fresh file must not both create it.
}

export function openEmbeddedStorage(opts: EmbeddedStorageOptions): StorageProvider {
  const synchronous = opts.synchronous ?? 'normal';
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new ServerError('TERN_ERR_CONFIG', `storage.embedded.synchronous must be 'normal' or 'full', not ${JSON.stringify(synchronous)}`);
  }
  const file = path.join(opts.dir, FILE_NAME);
  let db: Database.Database | undefined;
  try {
    // The database holds credentials and message history: only the server's user may enter.
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    // The durability reasoning for 'normal' only holds in WAL mode; refuse to run silently without it.
    if (String(mode).toLowerCase() !== 'wal') throw new Error(`cannot enable WAL journal mode (got ${String(mode)})`);
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    // Checkpoints run on the checkpointer's thread. SQLite's own, which would run inside the
    // commit that crosses the threshold, stays only as a backstop should that thread fall
    // behind: ~256 MiB of WAL.
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    // SQLite's default page cache (2 MiB) is sized for small embedded uses; every archive append
    // touches one leaf page in each of the four archive indexes, spread over every active user.
    db.pragma(`cache_size = -${CACHE_KIB}`);
    // A WAL file only shrinks when truncated; cap what a burst of writes leaves behind.
    db.pragma('journal_size_limit = 67108864');
    migrate(db);
    const checkpointer = startCheckpointer(file, {
      intervalMs: CHECKPOINT_INTERVAL_MS,
      busyTimeoutMs: BUSY_TIMEOUT_MS,
      onError: (message) => process.emitWarning(`embedded storage checkpoint: ${message}`, 'TernStorageWarning'),
    });
    return new EmbeddedProvider(db, checkpointer);
  } catch (err) {
    try { db?.close(); } catch { /* the open error is the one worth reporting */ }
    throw storageError(`cannot open ${file}`, err);
  }
}

/** The hot-path statements, prepared once per connection. */
function prepareStatements(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  const perTable = (t: Tables) => ({
    // One indexed seek per distinct value: DISTINCT over the table would read every row.
    firstUser: p(`SELECT user FROM ${t} WHERE host = ? AND store = ? AND user >= ? ORDER BY user LIMIT 1`).pluck(),
    nextUser: p(`SELECT user FROM ${t} WHERE host = ? AND store = ? AND user > ? ORDER BY user LIMIT 1`).pluck(),
    firstStore: p(`SELECT store FROM ${t} WHERE host = ? ORDER BY store LIMIT 1`).pluck(),
    nextStore: p(`SELECT store FROM ${t} WHERE host = ? AND store > ? ORDER BY store LIMIT 1`).pluck(),
    deleteUser: p(`DELETE FROM ${t} WHERE host = ? AND store = ? AND user = ?`),
  });
  return {
    keyval: perTable('keyval'),
    map: perTable('map'),
    archive: perTable('archive'),
    kvGet: p('SELECT value FROM keyval WHERE host = ? AND store = ? AND user = ?').pluck(),
    kvSet: p('INSERT INTO keyval (host, store, user, value) VALUES (?, ?, ?, ?) ON CONFLICT (host, store, user) DO UPDATE SET value = excluded.value'),
    mapGet: p('SELECT value FROM map WHERE host = ? AND store = ? AND user = ? AND key = ?').pluck(),
    mapSet: p('INSERT INTO map (host, store, user, key, value) VALUES (?, ?, ?, ?, ?) ON CONFLICT (host, store, user, key) DO UPDATE SET value = excluded.value'),
    mapDel: p('DELETE FROM map WHERE host = ? AND store = ? AND user = ? AND key = ?'),
    mapAll: p('SELECT key, value FROM map WHERE host = ? AND store = ? AND user = ?'),
    append: p('INSERT INTO archive (host, store, user, time, "with", value) VALUES (?, ?, ?, ?, ?, ?)'),
  };
}
type Statements = ReturnType<typeof prepareStatements>;
interface PendingWrite { what: string; fn: () => unknown; resolve(v: unknown): void; reject(err: unknown): void }

class EmbeddedProvider implements StorageProvider {
  readonly name = 'embedded';
  private closed = false;
  readonly s: Statements;
  private readonly queries = new Map<string, Database.Statement>();
  private readonly purge: (host: string, user: string) => void;

  constructor(readonly db: Database.Database, private readonly checkpointer: Checkpointer) {
    this.s = prepareStatements(db);
    // Stores are enumerated per host by index seeks rather than filtering on user alone,
    // which no index covers and would scan every row of the host.
    this.purge = db.transaction((host: string, user: string) => {
      for (const t of ['keyval', 'map', 'archive'] as const) {
        const st = this.s[t];
        for (let store = st.firstStore.get(host) as string | undefined; store !== undefined; store = st.nextStore.get(host, store) as string | undefined) {
          st.deleteUser.run(host, store, user);
        }
      }
    });
  }

  /**
   * Group commit: writes queue up and run together in one transaction once the event loop has
   * handled the I/O it has (setImmediate), and each write's promise settles only after that
   * commit, so the durability a caller waits for is unchanged. One commit per batch instead of
   * per write; a read flushes the queue first when its store has queued writes.
   *
   * Deferred appends (archives opened with durability 'deferred') run at once, inside a write
   * transaction left open for up to DEFERRED_COMMIT_MS, and resolve before it commits. SQLite's
   * WAL holds whole pages, so each commit writes every page it touched; an archive append
   * touches one leaf page of each index per user, so committing a second of appends at a time
   * instead of one event-loop turn of them writes a fraction of the pages (measured: see
   * docs/performance.md). Reads on this connection see them at once.
   */
  private queue: PendingWrite[] = [];
  /** The stores (`shape host store`) with queued writes: a read of any other store need not flush. */
  private readonly dirty = new Set<string>();
  /** Deferred appends made in the open transaction and not yet committed. */
  private deferred = 0;
  private commitTimer: NodeJS.Timeout | undefined;

  write<R>(store: string, what: string, fn: () => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ what, fn, resolve: resolve as (v: unknown) => void, reject });
      this.dirty.add(store);
    });
  }

  /** A write that resolves once done in the open transaction, committed within DEFERRED_COMMIT_MS. */
  writeDeferred<R>(store: string, what: string, fn: () => R): Promise<R> {
    try {
      // Writes of this store queued earlier go first, as they would in the queue.
      this.flushIfDirty(store);
      const result = attempt(what, () => {
        if (!this.db.inTransaction) this.db.exec('BEGIN IMMEDIATE');
        return fn();
      });
      this.deferred++;
      this.commitTimer ??= setTimeout(() => this.flush(), DEFERRED_COMMIT_MS);
      if (this.deferred >= DEFERRED_MAX) this.flush();
      return Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** `store`: which store the read looks at (undefined: it may look at any). */
  read<R>(store: string | undefined, what: string, fn: () => R): R {
    this.flushIfDirty(store);
    return attempt(what, fn);
  }

  /** Runs the queued writes first if any of them may touch `store` (undefined: any store). */
  private flushIfDirty(store: string | undefined): void {
    if (store === undefined || this.dirty.has(store) || this.dirty.has(EVERY_STORE)) this.flush();
  }

  /** Runs the queued writes and commits them, with any deferred appends, in one transaction. */
  flush(): void {
    const batch = this.queue;
    if (batch.length === 0 && this.deferred === 0) return;
    this.queue = [];
    this.dirty.clear();
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    const deferred = this.deferred;
    this.deferred = 0;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    try {
      if (!this.db.inTransaction) this.db.exec('BEGIN IMMEDIATE');
      for (const w of batch) {
        // Each write in a savepoint of its own: one that fails leaves the others in.
        try { outcomes.push({ ok: true, value: this.db.transaction(w.fn)() }); } catch (err) { outcomes.push({ ok: false, err: storageError(w.what, err) }); }
        // An I/O or full-disk error can roll back the whole transaction, not just the savepoint.
        if (!this.db.inTransaction) throw new Error('the transaction was rolled back');
      }
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) { try { this.db.exec('ROLLBACK'); } catch { /* reported below */ } }
      const failure = storageError('commit', err);
      for (const w of batch) w.reject(failure);
      if (deferred > 0) process.emitWarning(`embedded storage: ${deferred} archived item(s) lost: ${failure.message}`, 'TernStorageWarning');
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const o = outcomes[i]!;
      if (o.ok) batch[i]!.resolve(o.value);
      else batch[i]!.reject(o.err);
    }
  }

  /** Archive statements vary with which filters a query uses; one per shape, built on first use. */
  query(shape: string, build: () => string): Database.Statement {
    let st = this.queries.get(shape);
    if (!st) {
      st = this.db.prepare(build());
      this.queries.set(shape, st);
    }
    return st;
  }

  async *users(table: Tables, host: string, store: string): AsyncGenerator<string> {
    const st = this.s[table];
    const key = storeKey(table, host, store);
    const what = `${table} users (${host}/${store})`;
    let user = this.read(key, what, () => st.firstUser.get(host, store, '') as string | undefined);
    while (user !== undefined) {
      yield user;
      const prev: string = user;
      user = this.read(key, what, () => st.nextUser.get(host, store, prev) as string | undefined);
    }
  }

  keyval<T>(host: string, store: string): KeyValueStore<T> {
    const s = this.s;
    const what = (op: string) => `keyval ${op} (${host}/${store})`;
    const key = storeKey('keyval', host, store);
    return {
      get: async (user) => this.read(key, what('get'), () => {
        const text = s.kvGet.get(host, store, user) as string | undefined;
        return text === undefined ? undefined : JSON.parse(text) as T;
      }),
      set: (user, value) => this.write(key, what('set'), () => {
        if (value === undefined) s.keyval.deleteUser.run(host, store, user);
        else s.kvSet.run(host, store, user, encode(value));
      }),
      users: () => this.users('keyval', host, store),
    };
  }

  map<T>(host: string, store: string): MapStore<T> {
    const s = this.s;
    const what = (op: string) => `map ${op} (${host}/${store})`;
    const key = storeKey('map', host, store);
    const setOne = (user: string, key: string, value: T | undefined) => {
      if (value === undefined) s.mapDel.run(host, store, user, key);
      else s.mapSet.run(host, store, user, key, encode(value));
    };
    // Encoding happens inside the transaction, so a value that cannot be serialised rolls back
    // the entries before it too.
    const setMany = this.db.transaction((user: string, entries: ReadonlyArray<readonly [string, T | undefined]>) => {
      for (const [key, value] of entries) setOne(user, key, value);
    });
    return {
      get: async (user, k) => this.read(key, what('get'), () => {
        const text = s.mapGet.get(host, store, user, k) as string | undefined;
        return text === undefined ? undefined : JSON.parse(text) as T;
      }),
      set: (user, k, value) => this.write(key, what('set'), () => setOne(user, k, value)),
      setMany: (user, entries) => this.write(key, what('setMany'), () => setMany(user, entries)),
      all: async (user) => this.read(key, what('all'), () => {
        const out = new Map<string, T>();
        for (const row of s.mapAll.all(host, store, user) as { key: string; value: string }[]) {
          out.set(row.key, JSON.parse(row.value) as T);
        }
        return out;
      }),
      deleteUser: (user) => this.write(key, what('deleteUser'), () => { s.map.deleteUser.run(host, store, user); }),
      users: () => this.users('map', host, store),
    };
  }

  archive<T>(host: string, store: string, opts: ArchiveOptions = {}): ArchiveStore<T> {
    return new EmbeddedArchive<T>(this, host, store, opts.durability === 'deferred');
  }

  purgeUser(host: string, user: string): Promise<void> {
    return this.write(EVERY_STORE, `purgeUser (${host})`, () => { this.purge(host, user); });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    await this.checkpointer.stop();
    attempt('close', () => {
      // Cheap, and keeps the planner's statistics current for the next start (SQLite's advice).
      try { this.db.pragma('optimize'); } catch { /* never worth failing a shutdown over */ }
      this.db.close();
    });
  }
}

/** A query with ids parsed; `null` when some filter can match no item at all. */
interface Bound {
  with?: string;
  start?: number;
  end?: number;
  after?: number;
  before?: number;
  ids?: string;       // JSON array of integers, expanded by json_each: one parameter however many ids
  limit?: number;
  reverse: boolean;
}

function bind(q: ArchiveQuery): Bound | null {
  const b: Bound = { reverse: q.reverse === true };
  if (q.with !== undefined) b.with = q.with;
  if (q.start !== undefined) b.start = q.start;
  if (q.end !== undefined) b.end = q.end;
  if (q.after !== undefined) {
    b.after = parseId(q.after);
    if (b.after === undefined) return null;
  }
  if (q.before !== undefined) {
    b.before = parseId(q.before);
    if (b.before === undefined) return null;
  }
  if (q.ids !== undefined) {
    const ids = q.ids.map(parseId).filter((n): n is number => n !== undefined);
    if (ids.length === 0) return null;
    b.ids = JSON.stringify(ids);
  }
  if (q.limit !== undefined && Number.isFinite(q.limit)) b.limit = Math.max(0, Math.floor(q.limit));
  return b;
}

const FILTERS = [
  ['with', '"with" = @with'],
  ['start', 'time >= @start'],
  ['end', 'time <= @end'],
  ['after', 'id > @after'],
  ['before', 'id < @before'],
  ['ids', 'id IN (SELECT value FROM json_each(@ids))'],
] as const;

/**
 * The index each query shape must use, fixed rather than left to the planner: with statistics
 * from a database where one user holds most rows, SQLite preferred walking the rowid (the whole
 * table, other users' rows included) for "newest 50 of this user", which degrades without bound
 * as other users' rows accumulate. Every choice below seeks on (host, store, user) first:
 * - ids: rowid lookups of the listed ids (no hint needed: json_each drives the join);
 * - with + time range: archive_by_with_time (index-only range, then the id sort of the subquery);
 * - with: archive_by_with, already in id order, so a page stops after `limit` rows;
 * - time range: archive_by_time (index-only range, then the id sort);
 * - otherwise: archive_by_id, in id order.
 */
function indexFor(b: Bound): string {
  if (b.ids !== undefined) return '';
  const timed = b.start !== undefined || b.end !== undefined;
  if (b.with !== undefined) return timed ? ' INDEXED BY archive_by_with_time' : ' INDEXED BY archive_by_with';
  return timed ? ' INDEXED BY archive_by_time' : ' INDEXED BY archive_by_id';
}

/**
 * EXPLAIN QUERY PLAN of the statement an archive operation runs, one line per plan step; for
 * tests and benchmarks that check queries are served by indexes. Not part of ArchiveStore.
 */
export function explainArchive(store: ArchiveStore<unknown>, user: string, query: ArchiveQuery, op: 'select' | 'count' | 'delete' = 'select'): string[] {
  if (!(store instanceof EmbeddedArchive)) throw new TypeError('not an embedded archive store');
  return store.explain(user, query, op);
}

class EmbeddedArchive<T> implements ArchiveStore<T> {
  private readonly key: string;

  constructor(private readonly p: EmbeddedProvider, private readonly host: string, private readonly store: string, private readonly deferred: boolean) {
    this.key = storeKey('archive', host, store);
  }

  private what(op: string): string {
    return `archive ${op} (${this.host}/${this.store})`;
  }

  /** Statement and parameters for one operation over the rows `b` selects. */
  private prepare(op: 'select' | 'count' | 'delete' | 'deleteSome', user: string, b: Bound): [Database.Statement, Params] {
    const params: Params = { host: this.host, store: this.store, user };
    let shape = op + (b.reverse ? ':r' : ':f');
    const where = ['host = @host', 'store = @store', 'user = @user'];
    for (const [name, clause] of FILTERS) {
      const v = b[name];
      if (v === undefined) continue;
      params[name] = v;
      shape += `:${name}`;
      where.push(clause);
    }
    if (b.limit !== undefined) params.limit = b.limit;
    const cond = where.join(' AND ');
    const order = `ORDER BY id ${b.reverse ? 'DESC' : 'ASC'}`;
    const timed = b.start !== undefined || b.end !== undefined;
    const from = `archive${indexFor(b)}`;
    const st = this.p.query(shape, () => {
      switch (op) {
        case 'select':
          // A time range is served by archive_by_time(_with), which is not in id order, so SQLite
          // sorts every row in the range to keep `limit` of them. Selecting ids first keeps that
          // sort inside the index instead of reading each row's value: newest 50 of a 100k-item
          // range went from ~120 ms to ~15 ms.
          if (timed) {
            return `SELECT id, time, "with", value FROM archive WHERE id IN (SELECT id FROM ${from} WHERE ${cond} ${order} LIMIT @limit) ${order}`;
          }
          return `SELECT id, time, "with", value FROM ${from} WHERE ${cond} ${order} LIMIT @limit`;
        case 'count': return `SELECT count(*) FROM ${from} WHERE ${cond}`;
        case 'delete': return `DELETE FROM ${from} WHERE ${cond}`;
        case 'deleteSome': return `DELETE FROM archive WHERE id IN (SELECT id FROM ${from} WHERE ${cond} ${order} LIMIT @limit)`;
      }
    });
    return [op === 'count' ? st.pluck() : st, params];
  }

  explain(user: string, query: ArchiveQuery, op: 'select' | 'count' | 'delete'): string[] {
    const b = bind(query);
    if (b === null) return [];
    if (op === 'select') b.limit ??= PAGE;
    const [st, params] = this.prepare(op === 'delete' && b.limit !== undefined ? 'deleteSome' : op, user, b);
    const plan = this.p.read(this.key, this.what('explain'), () => this.p.db.prepare(`EXPLAIN QUERY PLAN ${st.source}`).all(params) as Array<{ detail: string }>);
    return plan.map((r) => r.detail);
  }

  append(user: string, item: { when?: number; with?: string; value: T }): Promise<string> {
    const insert = () => {
      const info = this.p.s.append.run(this.host, this.store, user, item.when ?? Date.now(), item.with ?? null, encode(item.value));
      return String(info.lastInsertRowid);
    };
    return this.deferred ? this.p.writeDeferred(this.key, this.what('append'), insert) : this.p.write(this.key, this.what('append'), insert);
  }

  async *find(user: string, query: ArchiveQuery = {}): AsyncGenerator<ArchiveRecord<T>> {
    const b = bind(query);
    if (b === null) return;
    let remaining = b.limit ?? Infinity;
    while (remaining > 0) {
      const page = Math.min(remaining, PAGE);
      const rows = this.p.read(this.key, this.what('find'), () => {
        const [st, params] = this.prepare('select', user, { ...b, limit: page });
        return (st.all(params) as ArchiveRow[]).map((r) => {
          const rec: ArchiveRecord<T> = { id: String(r.id), when: r.time, value: JSON.parse(r.value) as T };
          if (r.with !== null) rec.with = r.with;
          return rec;
        });
      });
      yield* rows;
      if (rows.length < page) return;
      remaining -= rows.length;
      // Keyset pagination: the next page starts past the last id seen, in iteration order.
      const last = Number(rows[rows.length - 1]!.id);
      if (b.reverse) b.before = last;
      else b.after = last;
    }
  }

  async count(user: string, query: ArchiveQuery = {}): Promise<number> {
    const b = bind(query);
    if (b === null) return 0;
    delete b.limit;
    return this.p.read(this.key, this.what('count'), () => {
      const [st, params] = this.prepare('count', user, b);
      return st.get(params) as number;
    });
  }

  async delete(user: string, query: ArchiveQuery = {}): Promise<number> {
    const b = bind(query);
    if (b === null) return 0;
    return this.p.write(this.key, this.what('delete'), () => {
      const [st, params] = this.prepare(b.limit === undefined ? 'delete' : 'deleteSome', user, b);
      return st.run(params).changes;
    });
  }

  users(): AsyncIterable<string> {
    return this.p.users('archive', this.host, this.store);
  }
}

/**
 * Every (shape, host, store) that holds data, for the migration tool: read from the tables, so
 * stores of modules that are no longer loaded are found too. Not part of StorageProvider.
 */
export function embeddedInventory(provider: StorageProvider): Array<{ shape: Tables; host: string; store: string }> {
  if (!(provider instanceof EmbeddedProvider)) throw new TypeError('not an embedded provider');
  return provider.read(undefined, 'inventory', () => {
    const out: Array<{ shape: Tables; host: string; store: string }> = [];
    for (const shape of ['keyval', 'map', 'archive'] as const) {
      const rows = provider.db.prepare(`SELECT DISTINCT host, store FROM ${shape} ORDER BY host, store`).all() as Array<{ host: string; store: string }>;
      for (const r of rows) out.push({ shape, host: r.host, store: r.store });
    }
    return out;
  });
}
