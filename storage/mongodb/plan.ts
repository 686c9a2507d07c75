/**
 * Query and index planning for the MongoDB provider, as pure functions: which documents, which
 * filter and sort each ArchiveQuery becomes, and which index serves it. The provider runs exactly
 * these plans (with the index as `hint`, so the planner cannot wander off to a collection scan
 * when its statistics mislead it), `tern storage check` compares INDEXES with what the server has,
 * and the tests check every query shape against INDEXES without a server.
 *
 * Data model: one collection per shape, every document keyed by (h = host, s = store, u = user):
 *   keyval   { h, s, u, v }              unique (h, s, u)
 *   map      { h, s, u, k, v }           unique (h, s, u, k)
 *   archive  { h, s, u, n, t, w?, v }    unique (h, s, u, n); n = the id, t = when, w = with
 *   counters { h, s, n }                 unique (h, s); the last archive id issued per (host, store)
 * `v` is the value's JSON text, so values round-trip exactly as JSON (what the contract fixes) and
 * no user data ever becomes a BSON field name (`$` and `.` keys, NUL in strings).
 *
 * Why one collection per shape rather than one per (host, store): every query starts with equality
 * on (h, s, u), so a compound index with that prefix serves each of them as well as a per-store
 * collection would, while the number of collections and indexes stays fixed (9 indexes in all,
 * whatever the number of hosts) instead of growing with hosts × stores (each collection and index
 * is a file and a cache entry in WiredTiger), names need no escaping (collection names cannot hold
 * `$` or NUL and are length-limited), and a sharded cluster can shard each collection on
 * { h, s, u } so one user's data stays on one shard.
 */
import type { ArchiveQuery } from '../types.js';

export type Direction = 1 | -1;
export type IndexKey = Record<string, Direction>;

export interface IndexSpec {
  collection: 'keyval' | 'map' | 'archive' | 'counters';
  name: string;
  key: IndexKey;
  unique?: boolean;
  /** What it serves, for `tern storage check` and the documentation. */
  serves: string;
}

export const INDEXES: readonly IndexSpec[] = [
  { collection: 'keyval', name: 'kv_user', key: { h: 1, s: 1, u: 1 }, unique: true, serves: 'get, set, delete, users()' },
  { collection: 'map', name: 'map_key', key: { h: 1, s: 1, u: 1, k: 1 }, unique: true, serves: 'get, set, setMany, all, deleteUser, users()' },
  { collection: 'archive', name: 'archive_by_id', key: { h: 1, s: 1, u: 1, n: 1 }, unique: true, serves: 'find/count/delete without with or time range; after/before/ids; users(); idempotent append' },
  { collection: 'archive', name: 'archive_by_with', key: { h: 1, s: 1, u: 1, w: 1, n: 1 }, serves: 'with (+ after/before), in id order' },
  { collection: 'archive', name: 'archive_by_time', key: { h: 1, s: 1, u: 1, t: 1, n: 1 }, serves: 'start/end (+ after/before), covered id selection' },
  { collection: 'archive', name: 'archive_by_with_time', key: { h: 1, s: 1, u: 1, w: 1, t: 1, n: 1 }, serves: 'with + start/end, covered id selection' },
  { collection: 'counters', name: 'counter_store', key: { h: 1, s: 1 }, unique: true, serves: 'archive id allocation' },
];

export const COLLECTIONS = ['keyval', 'map', 'archive', 'counters'] as const;

export function indexNamed(name: string): IndexSpec {
  const spec = INDEXES.find((i) => i.name === name);
  if (!spec) throw new Error(`no index ${name}`);
  return spec;
}

/** Archive ids are canonical decimal integers (as the embedded provider's are); anything else names no item. */
export function parseId(id: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(id)) return undefined;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : undefined;
}

export type Filter = Record<string, unknown>;

export interface ArchivePlan {
  filter: Filter;
  sort: { n: Direction };
  /** The index the query must use (passed as hint). */
  hint: string;
  limit?: number;
  /**
   * Time-range queries: the range index is not in id order, so a page is chosen first by a
   * covered query (index keys only, projection { n }) sorted on n, then those documents are
   * fetched through archive_by_id. Sorting index keys, not documents, keeps large values out
   * of the sort.
   */
  twoPhase: boolean;
}

/** The plan for one archive query of (host, store, user); null when the query can match nothing. */
export function planArchive(host: string, store: string, user: string, q: ArchiveQuery = {}): ArchivePlan | null {
  const filter: Filter = { h: host, s: store, u: user };
  const n: Record<string, unknown> = {};
  if (q.after !== undefined) {
    const a = parseId(q.after);
    if (a === undefined) return null;
    n.$gt = a;
  }
  if (q.before !== undefined) {
    const b = parseId(q.before);
    if (b === undefined) return null;
    n.$lt = b;
  }
  if (q.ids !== undefined) {
    const ids = [...new Set(q.ids.map(parseId).filter((x): x is number => x !== undefined))];
    if (ids.length === 0) return null;
    n.$in = ids;
  }
  if (q.with !== undefined) filter.w = q.with;
  const t: Record<string, number> = {};
  if (q.start !== undefined) t.$gte = q.start;
  if (q.end !== undefined) t.$lte = q.end;
  const timed = Object.keys(t).length > 0;
  if (timed) filter.t = t;
  if (Object.keys(n).length > 0) filter.n = n;
  const withF = q.with !== undefined;
  // ids: at most that many point lookups on archive_by_id, whatever else filters.
  const hint = q.ids !== undefined ? 'archive_by_id'
    : withF ? (timed ? 'archive_by_with_time' : 'archive_by_with')
    : timed ? 'archive_by_time' : 'archive_by_id';
  const plan: ArchivePlan = { filter, sort: { n: q.reverse === true ? -1 : 1 }, hint, twoPhase: timed && q.ids === undefined };
  if (q.limit !== undefined && Number.isFinite(q.limit)) plan.limit = Math.max(0, Math.floor(q.limit));
  return plan;
}

/**
 * Whether `index` serves `filter` + `sort` without a collection scan or a scan of other users'
 * keys: the index must start with the equality fields (h, s, u, then w if filtered), every
 * filtered field must be in the index (so the filter is applied to keys, not fetched documents),
 * and, unless the plan is two-phase (which sorts keys), the field after the equality prefix must
 * be the sort field n, so the index returns documents in order and a limit stops the scan.
 */
export function serves(index: IndexKey, plan: Pick<ArchivePlan, 'filter' | 'sort' | 'twoPhase'>): boolean {
  const fields = Object.keys(index);
  const nFilter = plan.filter.n as Record<string, unknown> | undefined;
  if (nFilter !== undefined && '$in' in nFilter) {
    // ids: point lookups on (h, s, u, n); other filters apply to at most that many documents.
    return fields.length === 4 && ['h', 's', 'u', 'n'].every((f, i) => fields[i] === f);
  }
  const equality = ['h', 's', 'u', ...('w' in plan.filter ? ['w'] : [])];
  for (let i = 0; i < equality.length; i++) if (fields[i] !== equality[i]) return false;
  for (const f of Object.keys(plan.filter)) if (!fields.includes(f)) return false;
  if (!fields.includes('n')) return false;
  // Two-phase plans sort index keys; the others read the index in id order, so a limit stops the scan.
  return plan.twoPhase || fields[equality.length] === 'n';
}

/** The filter that selects one user of one store in a shape's collection. */
export function userFilter(host: string, store: string, user: string): Filter {
  return { h: host, s: store, u: user };
}

/** users(): one index seek per distinct user (skip scan), never a scan of every document. */
export const USERS_INDEX = { keyval: 'kv_user', map: 'map_key', archive: 'archive_by_id' } as const;
export function nextUserQuery(shape: keyof typeof USERS_INDEX, host: string, store: string, prev: string | undefined): { filter: Filter; sort: { u: 1 }; hint: string } {
  return { filter: prev === undefined ? { h: host, s: store } : { h: host, s: store, u: { $gt: prev } }, sort: { u: 1 }, hint: USERS_INDEX[shape] };
}

/** Indexes `tern storage check` did not find, by comparing names and keys with what the server lists. */
export function missingIndexes(present: ReadonlyArray<{ collection: string; name: string; key: Record<string, unknown>; unique?: boolean }>): IndexSpec[] {
  return INDEXES.filter((want) => !present.some((p) => p.collection === want.collection
    && JSON.stringify(p.key) === JSON.stringify(want.key)
    && (p.unique === true) === (want.unique === true)));
}
