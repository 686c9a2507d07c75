/**
 * XEP-0048 <storage xmlns='storage:bookmarks'/> ⇄ XEP-0402 items (one per room, item id = room JID),
 * per XEP-0402 §5.3. URL bookmarks and unknown children of XEP-0048 have no XEP-0402 form and are dropped.
 */
import xml, { type Element } from '@xmpp/xml';
import { Jid } from '../../core/jid.js';

export const NS_BOOKMARKS2 = 'urn:xmpp:bookmarks:1';
export const NS_LEGACY = 'storage:bookmarks';

export interface Bookmark { jid: string; name?: string; autojoin: boolean; nick?: string; password?: string; extensions?: Element[] }

const truthy = (v: string | undefined) => v === 'true' || v === '1';

/** The conferences of a legacy <storage/>, with prepared room JIDs; the last of duplicates wins. */
export function fromLegacy(storage: Element): Bookmark[] {
  const out = new Map<string, Bookmark>();
  for (const c of storage.getChildren('conference')) {
    const jid = Jid.tryParse(c.attrs.jid);
    if (!jid || !jid.local || jid.resource) continue;
    const b: Bookmark = { jid: jid.bareString, autojoin: truthy(c.attrs.autojoin) };
    if (c.attrs.name) b.name = c.attrs.name;
    const nick = c.getChildText('nick');
    if (nick) b.nick = nick;
    const password = c.getChildText('password');
    if (password) b.password = password;
    out.set(b.jid, b);
  }
  return [...out.values()];
}

export function toLegacy(bookmarks: Bookmark[]): Element {
  return xml('storage', { xmlns: NS_LEGACY }, ...bookmarks.map((b) => {
    const attrs: Record<string, string> = { jid: b.jid, autojoin: b.autojoin ? 'true' : 'false' };
    if (b.name) attrs.name = b.name;
    return xml('conference', attrs, ...(b.nick ? [xml('nick', {}, b.nick)] : []), ...(b.password ? [xml('password', {}, b.password)] : []));
  }));
}

/** An XEP-0402 item payload; undefined if it is not a <conference/>. */
export function fromItem(id: string, payload: Element): Bookmark | undefined {
  if (payload.name !== 'conference' || payload.attrs.xmlns !== NS_BOOKMARKS2) return undefined;
  const b: Bookmark = { jid: id, autojoin: truthy(payload.attrs.autojoin) };
  if (payload.attrs.name) b.name = payload.attrs.name;
  const nick = payload.getChildText('nick');
  if (nick) b.nick = nick;
  const password = payload.getChildText('password');
  if (password) b.password = password;
  return b;
}

export function toItem(b: Bookmark): Element {
  const attrs: Record<string, string> = { xmlns: NS_BOOKMARKS2, autojoin: b.autojoin ? 'true' : 'false' };
  if (b.name) attrs.name = b.name;
  return xml('conference', attrs, ...(b.nick ? [xml('nick', {}, b.nick)] : []), ...(b.password ? [xml('password', {}, b.password)] : []));
}

/** Same bookmark as far as both formats can tell. */
export function sameBookmark(a: Bookmark, b: Bookmark): boolean {
  return a.jid === b.jid && a.name === b.name && a.autojoin === b.autojoin && a.nick === b.nick && a.password === b.password;
}
