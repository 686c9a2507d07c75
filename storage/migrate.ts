/**
 * `tern storage migrate --from embedded --to mongodb`: copies every store, user by user, through
 * the shapes' own API (users(), get/all/find), then verifies counts.
 *
 * - What is copied: every (shape, host, store) the source holds (embeddedInventory lists them
 *   from the tables, so also stores of modules not loaded now): accounts (the SCRAM hashes are
 *   values like any other), rosters, offline messages, archives, vCards, PEP nodes, ...
 * - Re-runnable: keyval and map entries are upserts, and a map user's keys that are no longer in
 *   the source are removed, so a second run leaves the target equal to the source; archive
 *   records keep their ids (see below) and are upserted by id, so a re-run duplicates nothing.
 * - Archive ids are kept, not mapped: the embedded ids are decimal integers increasing in append
 *   order, which is the MongoDB provider's own id form, so stanza-ids that clients hold (MAM
 *   paging, XEP-0359 references) stay valid; the target's id counter is raised past them.
 * - Run it with the server stopped: what changes in the source during the copy is not tracked.
 *
 * The pieces are separate so each can be tested without the other side: `inventory` and
 * `readStore` read the source, `verify` compares any two providers through the generic API.
 */
import type { ArchiveRecord, StorageProvider } from './types.js';

export type Shape = 'keyval' | 'map' | 'archive';
export interface StoreRef { shape: Shape; host: string; store: string }

/** One user's data of one store, as read from the source. */
export type UserData =
  | { shape: 'keyval'; user: string; value: unknown }
  | { shape: 'map'; user: string; entries: Map<string, unknown> }
  | { shape: 'archive'; user: string; records: ArchiveRecord<unknown>[] };

/** Archive records per chunk: bounds memory for users with huge archives. */
export const ARCHIVE_CHUNK = 1000;

/** Reads a store user by user; archives come in chunks of ARCHIVE_CHUNK records, in id order. */
export async function* readStore(source: StorageProvider, ref: StoreRef): AsyncGenerator<UserData> {
  if (ref.shape === 'keyval') {
    const kv = source.keyval<unknown>(ref.host, ref.store);
    for await (const user of kv.users()) {
      const value = await kv.get(user);
      if (value !== undefined) yield { shape: 'keyval', user, value };
    }
  } else if (ref.shape === 'map') {
    const m = source.map<unknown>(ref.host, ref.store);
    for await (const user of m.users()) yield { shape: 'map', user, entries: await m.all(user) };
  } else {
    const a = source.archive<unknown>(ref.host, ref.store);
    for await (const user of a.users()) {
      let chunk: ArchiveRecord<unknown>[] = [];
      for await (const r of a.find(user)) {
        chunk.push(r);
        if (chunk.length === ARCHIVE_CHUNK) {
          yield { shape: 'archive', user, records: chunk };
          chunk = [];
        }
      }
      if (chunk.length) yield { shape: 'archive', user, records: chunk };
    }
  }
}

/** Where the copy goes: the generic shapes, plus id-preserving archive import. */
export interface MigrationTarget {
  provider: StorageProvider;
  importArchive(host: string, store: string, user: string, records: ArchiveRecord<unknown>[]): Promise<void>;
}

export async function writeUser(target: MigrationTarget, ref: StoreRef, d: UserData): Promise<void> {
  if (d.shape === 'keyval') {
    await target.provider.keyval<unknown>(ref.host, ref.store).set(d.user, d.value);
  } else if (d.shape === 'map') {
    const m = target.provider.map<unknown>(ref.host, ref.store);
    const stale = [...(await m.all(d.user)).keys()].filter((k) => !d.entries.has(k));
    await m.setMany(d.user, [...d.entries, ...stale.map((k) => [k, undefined] as const)]);
  } else {
    await target.importArchive(ref.host, ref.store, d.user, d.records);
  }
}

export interface StoreCounts { users: number; items: number }
export interface Mismatch { ref: StoreRef; user?: string; source: number; target: number; what: string }

/** Users and items (keyval values, map keys, archive records) of one store. */
export async function countStore(p: StorageProvider, ref: StoreRef): Promise<{ total: StoreCounts; perUser: Map<string, number> }> {
  const perUser = new Map<string, number>();
  if (ref.shape === 'keyval') {
    for await (const u of p.keyval(ref.host, ref.store).users()) perUser.set(u, 1);
  } else if (ref.shape === 'map') {
    const m = p.map(ref.host, ref.store);
    for await (const u of m.users()) perUser.set(u, (await m.all(u)).size);
  } else {
    const a = p.archive(ref.host, ref.store);
    for await (const u of a.users()) perUser.set(u, await a.count(u));
  }
  let items = 0;
  for (const n of perUser.values()) items += n;
  return { total: { users: perUser.size, items }, perUser };
}

/** Compares users and per-user item counts of every store; [] when the target matches. */
export async function verify(source: StorageProvider, target: StorageProvider, refs: StoreRef[]): Promise<Mismatch[]> {
  const out: Mismatch[] = [];
  for (const ref of refs) {
    const [s, t] = [await countStore(source, ref), await countStore(target, ref)];
    if (s.total.users !== t.total.users) out.push({ ref, source: s.total.users, target: t.total.users, what: 'users' });
    for (const [u, n] of s.perUser) {
      const m = t.perUser.get(u) ?? 0;
      if (m !== n) out.push({ ref, user: u, source: n, target: m, what: 'items' });
    }
  }
  return out;
}

export interface MigrationReport { stores: Array<StoreRef & StoreCounts>; mismatches: Mismatch[] }

export async function migrate(source: StorageProvider, refs: StoreRef[], target: MigrationTarget, progress: (line: string) => void = () => {}): Promise<MigrationReport> {
  const stores: Array<StoreRef & StoreCounts> = [];
  for (const ref of refs) {
    const users = new Set<string>();
    let items = 0;
    for await (const d of readStore(source, ref)) {
      await writeUser(target, ref, d);
      users.add(d.user);
      items += d.shape === 'keyval' ? 1 : d.shape === 'map' ? d.entries.size : d.records.length;
    }
    stores.push({ ...ref, users: users.size, items });
    progress(`${ref.shape} ${ref.host}/${ref.store}: ${users.size} users, ${items} items copied`);
  }
  const mismatches = await verify(source, target.provider, refs);
  return { stores, mismatches };
}

export function describeMismatch(m: Mismatch): string {
  return `${m.ref.shape} ${m.ref.host}/${m.ref.store}${m.user === undefined ? '' : ` user ${JSON.stringify(m.user)}`}: ${m.what} ${m.source} in the source, ${m.target} in the target`;
}
