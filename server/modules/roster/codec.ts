/**
 * jabber:iq:roster on the wire (RFC 6121 §2.1): rendering items for results and pushes, and
 * validating a client's roster set (§2.1.2, §2.3.3, §2.5).
 */
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { childElements, type Element, xml } from '../../core/stanza.js';
import type { RosterItem } from './service.js';

export const NS_ROSTER = 'jabber:iq:roster';
export const NS_ROSTER_VER_FEATURE = 'urn:xmpp:features:rosterver';

export interface RosterLimits {
  /** Characters (code points) of the 'name' attribute. */
  maxNameLength: number;
  /** Characters of one group name. */
  maxGroupLength: number;
  maxGroups: number;
}

export type RosterSet =
  | { remove: true; jid: string }
  | { remove: false; jid: string; name?: string; groups: string[] };

export function itemElement(item: RosterItem): Element {
  const attrs: Record<string, string> = { jid: item.jid, subscription: item.subscription };
  if (item.name !== undefined) attrs.name = item.name;
  if (item.ask) attrs.ask = item.ask;
  // §2.1.2.1: only a server that supports pre-approval sends it, and only when true.
  if (item.approved) attrs.approved = 'true';
  return xml('item', attrs, ...item.groups.map((g) => xml('group', {}, g)));
}

export function removedItemElement(jid: string): Element {
  return xml('item', { jid, subscription: 'remove' });
}

export function queryElement(ver: string, items: Element[]): Element {
  return xml('query', { xmlns: NS_ROSTER, ver }, ...items);
}

const length = (s: string): number => [...s].length;

/**
 * Checks a roster set. 'subscription' values other than "remove", 'ask' and 'approved' are
 * ignored, as §2.1.2 requires of a server: the subscription state is only changed by presence.
 */
export function parseRosterSet(query: Element, limits: RosterLimits): RosterSet {
  const items = childElements(query).filter((c) => c.name === 'item');
  if (items.length !== 1) throw new StanzaError('bad-request', 'a roster set carries exactly one item');
  const item = items[0]!;
  const raw = item.attrs.jid as string | undefined;
  if (!raw) throw new StanzaError('bad-request', 'the item has no jid');
  const jid = Jid.tryParse(raw);
  if (!jid) throw new StanzaError('jid-malformed');
  // Subscriptions, and so roster items, are between bare JIDs (§3.1.1).
  if (jid.resource) throw new StanzaError('bad-request', 'a roster item is a bare JID');
  const key = jid.toString();
  if (item.attrs.subscription === 'remove') return { remove: true, jid: key };

  const rawName = item.attrs.name as string | undefined;
  const name = rawName === undefined || rawName === '' ? undefined : rawName;
  if (name !== undefined && length(name) > limits.maxNameLength) throw new StanzaError('not-acceptable', 'the name is too long');

  const groups: string[] = [];
  const seen = new Set<string>();
  for (const g of item.getChildren('group')) {
    const text = g.text();
    if (text === '') throw new StanzaError('not-acceptable', 'a group name is empty');
    if (length(text) > limits.maxGroupLength) throw new StanzaError('not-acceptable', 'a group name is too long');
    if (seen.has(text)) throw new StanzaError('bad-request', 'a group is listed twice');
    seen.add(text);
    groups.push(text);
  }
  if (groups.length > limits.maxGroups) throw new StanzaError('not-acceptable', 'too many groups');
  return name === undefined ? { remove: false, jid: key, groups } : { remove: false, jid: key, name, groups };
}
