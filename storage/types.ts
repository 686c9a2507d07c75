/**
 * Storage shapes (Prosody's model): every module writes its domain interface once on top of
 * these, so every provider serves every module without per-module adapter code.
 * Values are JSON-serialisable; XML is stored as its string form.
 * `user` is the prepared localpart ('' for host-wide data).
 */

export interface KeyValueStore<T> {
  get(user: string): Promise<T | undefined>;
  /** `undefined` deletes. */
  set(user: string, value: T | undefined): Promise<void>;
  /** Users that have a value, for migration and admin tools. */
  users(): AsyncIterable<string>;
}

export interface MapStore<T> {
  get(user: string, key: string): Promise<T | undefined>;
  /** `undefined` deletes the key. */
  set(user: string, key: string, value: T | undefined): Promise<void>;
  /** Several keys of one user in one atomic write. */
  setMany(user: string, entries: ReadonlyArray<readonly [string, T | undefined]>): Promise<void>;
  all(user: string): Promise<Map<string, T>>;
  deleteUser(user: string): Promise<void>;
  users(): AsyncIterable<string>;
}

export interface ArchiveRecord<T> {
  /** Provider-assigned, unique within (host, store), increasing in append order. */
  id: string;
  /** Milliseconds since the epoch. */
  when: number;
  /** Optional correspondent used for filtering (a bare JID string, say). */
  with?: string;
  value: T;
}

export interface ArchiveQuery {
  with?: string;
  start?: number;            // when >= start
  end?: number;              // when <= end
  after?: string;            // id strictly after
  before?: string;           // id strictly before
  ids?: string[];
  limit?: number;
  reverse?: boolean;         // newest first
}

export interface ArchiveStore<T> {
  append(user: string, item: { when?: number; with?: string; value: T }): Promise<string>;
  find(user: string, query?: ArchiveQuery): AsyncIterable<ArchiveRecord<T>>;
  count(user: string, query?: ArchiveQuery): Promise<number>;
  /** Deletes what matches (all of the user's items with no query); returns how many. */
  delete(user: string, query?: ArchiveQuery): Promise<number>;
  users(): AsyncIterable<string>;
}

export interface ArchiveOptions {
  /**
   * 'commit' (default): an append resolves once the item is durable.
   * 'deferred': an append resolves once the item is stored and visible to every read, and becomes
   * durable within about a second (the embedded provider commits a second of such appends at a
   * time); a crash of the process can lose that last second, never corrupt what was committed.
   * For copies whose loss is bearable, such as the archive of messages already delivered; never
   * for the only copy of something (offline storage, an inbox).
   */
  durability?: 'commit' | 'deferred';
}

export interface StorageProvider {
  readonly name: string;
  keyval<T>(host: string, store: string): KeyValueStore<T>;
  map<T>(host: string, store: string): MapStore<T>;
  archive<T>(host: string, store: string, opts?: ArchiveOptions): ArchiveStore<T>;
  /** Removes everything every store holds for one user of one host (account deletion). */
  purgeUser(host: string, user: string): Promise<void>;
  close(): Promise<void>;
}
