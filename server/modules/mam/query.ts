/**
 * Running an archive query over the generic archive store (XEP-0313 §4.1 filters, §4.3 paging
 * with XEP-0059 RSM): validates every UID the client names, picks the page, and works out the
 * RSM <count/>, <first index/> and the 'complete' flag of <fin/>.
 *
 * - UIDs in 'after-id', 'before-id', 'ids', RSM <after/> and non-empty <before/> must name items
 *   of this user's archive, else item-not-found (§4.1.3, §4.3.2). An id that exists but is
 *   filtered out by 'with' or the time range is not an error: it still bounds the page.
 * - Page size: <max/> if given (clamped to MAX_PAGE, never an error), else DEFAULT_PAGE.
 *   <max>0</max> returns no items, only the count (XEP-0059 §2.6).
 * - RSM <before/> pages backward from the end (or from the UID): the newest `max` items before
 *   it, still sent oldest first (§4.3.3); without it, the oldest `max` items after <after/>.
 * - complete='true' when the page reached the end of the result set in the paging direction.
 * - The form's before-id/after-id and RSM's before/after may be combined; the tighter bound wins.
 * - 'with': a bare JID matches every resource of the contact; a full JID is matched by its bare
 *   JID (the archive indexes correspondents by bare JID).
 * - RSM <count/> counts the whole result set (form filters only); <first index/> is the position
 *   of the page's first item in it, counted from whichever end is nearer the page.
 */
import type { ArchiveQuery, ArchiveRecord, ArchiveStore } from '../../../storage/types.js';
import { StanzaError } from '../../core/errors.js';
import type { Filters, Paging } from './form.js';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 250;

export type Archive = ArchiveStore<string>;

export interface Page {
  items: ArchiveRecord<string>[];
  complete: boolean;
  count: number;
  /** Index of items[0] in the whole result set; undefined for an empty page. */
  index?: number;
}

const notFound = () => new StanzaError('item-not-found', 'no such message in the archive');

async function exists(a: Archive, user: string, id: string): Promise<boolean> {
  return (await a.count(user, { ids: [id] })) === 1;
}

/** Ids are opaque strings ordered by append order; the store tells which of two comes later. */
async function isAfter(a: Archive, user: string, id: string, than: string): Promise<boolean> {
  return (await a.count(user, { ids: [id], after: than })) === 1;
}

async function later(a: Archive, user: string, x: string | undefined, y: string | undefined): Promise<string | undefined> {
  if (x === undefined || y === undefined || x === y) return x ?? y;
  return (await isAfter(a, user, y, x)) ? y : x;
}

async function earlier(a: Archive, user: string, x: string | undefined, y: string | undefined): Promise<string | undefined> {
  if (x === undefined || y === undefined || x === y) return x ?? y;
  return (await isAfter(a, user, y, x)) ? x : y;
}

/** The form's filters as a store query; throws item-not-found for UIDs that are not in the archive. */
export async function filterQuery(a: Archive, user: string, f: Filters): Promise<ArchiveQuery> {
  const q: ArchiveQuery = {};
  if (f.with) q.with = f.with.bareString;
  if (f.start !== undefined) q.start = f.start;
  if (f.end !== undefined) q.end = f.end;
  for (const id of [f.afterId, f.beforeId]) {
    if (id !== undefined && !(await exists(a, user, id))) throw notFound();
  }
  if (f.afterId !== undefined) q.after = f.afterId;
  if (f.beforeId !== undefined) q.before = f.beforeId;
  if (f.ids) {
    const unique = [...new Set(f.ids)];
    if (unique.length > MAX_PAGE) throw new StanzaError('policy-violation', `at most ${MAX_PAGE} ids per query`);
    if ((await a.count(user, { ids: unique })) !== unique.length) throw notFound();
    q.ids = unique;
  }
  return q;
}

export async function runQuery(a: Archive, user: string, f: Filters, p: Paging): Promise<Page> {
  const base = await filterQuery(a, user, f);
  for (const id of [p.after, p.before]) {
    if (id && !(await exists(a, user, id))) throw notFound();
  }
  const max = Math.min(p.max ?? DEFAULT_PAGE, MAX_PAGE);
  const count = await a.count(user, base);
  if (max === 0) return { items: [], complete: count === 0, count };

  const backward = p.before !== undefined;
  const q: ArchiveQuery = { ...base, limit: max + 1, reverse: backward };
  const lower = await later(a, user, base.after, p.after);
  const upper = await earlier(a, user, base.before, p.before || undefined);
  if (lower !== undefined) q.after = lower;
  if (upper !== undefined) q.before = upper;

  const rows: ArchiveRecord<string>[] = [];
  for await (const r of a.find(user, q)) rows.push(r);
  const complete = rows.length <= max;
  const items = rows.slice(0, max);
  if (backward) items.reverse();
  if (items.length === 0) return { items, complete, count };

  let index: number;
  if (backward) {
    const newer = await a.count(user, { ...base, after: items[items.length - 1]!.id });
    index = count - items.length - newer;
  } else {
    index = await a.count(user, { ...base, before: items[0]!.id });
  }
  return { items, complete, count, index };
}
