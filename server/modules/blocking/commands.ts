/**
 * The blocking command itself (XEP-0191 §3.2–§3.5): retrieve the list, block, unblock, unblock
 * all. After each change: a push to every resource that retrieved the list (§3.3, §3.4, §3.5),
 * unavailable presence to newly blocked contacts who had the user's presence, and the current
 * presence to unblocked contacts who may see it again.
 */
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import type { IqRequest } from '../../core/iq.js';
import { Jid } from '../../core/jid.js';
import type { Services } from '../../core/module.js';
import type { SessionRegistry } from '../../core/sessions.js';
import { childElements, newId, withAttrs, xml } from '../../core/stanza.js';
import type { BlockLists } from './list.js';
import { anyMatches, parseItems } from './match.js';
import { NS_BLOCKING } from './filter.js';

export const INTERESTED = Symbol('blocking.interested');

export interface CommandDeps {
  lists: BlockLists;
  sessions: SessionRegistry;
  roster(): Services['roster'] | undefined;
  /** Routes a stanza the blocking filter must let through (presence to a just-blocked contact). */
  routeExempt(stanza: Element): void;
}

const listElement = (name: string, items: readonly Jid[]) => xml(name, { xmlns: NS_BLOCKING }, ...items.map((j) => xml('item', { jid: j.toString() })));

function requestItems(payload: Element): Jid[] {
  const raw = childElements(payload).filter((c) => c.name === 'item').map((c) => c.attrs.jid as string | undefined);
  const items = parseItems(raw);
  if (!items) throw new StanzaError('jid-malformed');
  return items;
}

function push(d: CommandDeps, username: string, payload: Element): void {
  for (const s of d.sessions.sessionsOf(username)) {
    if (!s.state.has(INTERESTED) || s.closed || !s.jid) continue;
    s.send(xml('iq', { type: 'set', id: newId(), from: s.jid.bareString, to: s.jid.toString() }, payload));
  }
}

/** Contacts the user's presence goes to (subscription from or both) that `pred` picks. */
async function presenceContacts(d: CommandDeps, username: string, pred: (contact: Jid) => boolean): Promise<string[]> {
  const roster = d.roster();
  if (!roster) return [];
  const out: string[] = [];
  for (const [contact, item] of await roster.items(username)) {
    if (item.subscription !== 'from' && item.subscription !== 'both') continue;
    const j = Jid.tryParse(contact);
    if (j && pred(j)) out.push(contact);
  }
  return out;
}

export function createCommands(d: CommandDeps) {
  const username = (req: IqRequest): string => {
    if (!req.origin?.username) throw new StanzaError('not-allowed');
    return req.origin.username;
  };

  return {
    /** §3.2 */
    async get(req: IqRequest): Promise<Element> {
      const user = username(req);
      req.origin!.state.set(INTERESTED, true);
      return listElement('blocklist', await d.lists.get(user));
    },

    /** §3.3 */
    async block(req: IqRequest): Promise<true> {
      const user = username(req);
      const items = requestItems(req.payload);
      if (items.length === 0) throw new StanzaError('bad-request', 'block needs at least one item');
      const { before, after } = await d.lists.update(user, (cur) => {
        const next = [...cur];
        for (const j of items) if (!next.some((k) => k.equals(j))) next.push(j);
        return next;
      });
      push(d, user, listElement('block', items));
      const fresh = after.filter((j) => !before.some((k) => k.equals(j)));
      const wasBlocked = (c: Jid) => anyMatches(before, c);
      const contacts = await presenceContacts(d, user, (c) => !wasBlocked(c) && anyMatches(fresh, c));
      for (const s of d.sessions.availableOf(user)) {
        for (const c of contacts) d.routeExempt(xml('presence', { type: 'unavailable', from: s.jid!.toString(), to: c }));
      }
      return true;
    },

    /** §3.4, and §3.5 when there are no items */
    async unblock(req: IqRequest): Promise<true> {
      const user = username(req);
      const items = requestItems(req.payload);
      const { before, after } = await d.lists.update(user, (cur) => (items.length === 0 ? [] : cur.filter((k) => !items.some((j) => j.equals(k)))));
      push(d, user, listElement('unblock', items));
      const contacts = await presenceContacts(d, user, (c) => anyMatches(before, c) && !anyMatches(after, c));
      for (const s of d.sessions.availableOf(user)) {
        if (!s.presence) continue;
        for (const c of contacts) d.routeExempt(withAttrs(s.presence, { to: c }));
      }
      return true;
    },
  };
}
