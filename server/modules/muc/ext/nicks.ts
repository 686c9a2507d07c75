/**
 * Nicknames for public chat (seed 5.18):
 * - XEP-0045 §7.12 "Discovering reserved room nickname": disco#info to the room with node
 *   'x-roomuser-item' → <identity category='conference' type='text' name=NICK/>: the nick the
 *   user registered with the room (affiliation nick), else their registered nickname (XEP-0172,
 *   the vCard NICKNAME via the `profile` service), else no identity.
 * - A nickname in use (§7.2.9 409 conflict) comes with free suggestions, Tern's own extension:
 *   in the <text/> ("…; free: a, b, c") and as
 *   <suggestions xmlns='urn:x-tern:muc:0'><nick>a</nick>…</suggestions> inside <error/>.
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../../core/errors.js';
import type { Jid } from '../../../core/jid.js';
import { NS_DISCO_INFO, NS_TERN_MUC } from '../ns.js';
import type { Room } from '../room.js';

export const NODE_ROOMUSER = 'x-roomuser-item';

function free(room: Room, nick: string, bare: string): boolean {
  if (room.occupant(nick)) return false;
  return ![...room.affiliations].some(([j, r]) => r.nick === nick && j !== bare);
}

/** Up to `n` free nicknames like `nick`. */
export function suggestNicks(room: Room, nick: string, bare: string, n = 3): string[] {
  const out: string[] = [];
  const base = nick.trim();
  const candidates = [`${base}_`, `${base}2`, `${base}3`, `${base}-${bare.split('@')[0]}`, `${base}4`, `${base}5`, `${base}_${Math.floor(Math.random() * 900 + 100)}`];
  for (const c of candidates) {
    if (out.length >= n) break;
    if (!out.includes(c) && free(room, c, bare)) out.push(c);
  }
  return out;
}

export class NickConflict extends StanzaError {
  constructor(text: string, readonly suggestions: string[]) {
    super('conflict', suggestions.length ? `${text}; free: ${suggestions.join(', ')}` : text);
  }
}

/** Adds the <suggestions/> child to the <error/> of a reply to a NickConflict. */
export function decorateError(reply: Element, err: StanzaError): void {
  if (!(err instanceof NickConflict)) return;
  const e = reply.getChild('error');
  e?.append(xml('suggestions', { xmlns: NS_TERN_MUC }, ...err.suggestions.map((s) => xml('nick', {}, s))));
}

export function reservedNickIq(nickname: (username: string) => Promise<string | undefined>, isLocal: (jid: Jid) => boolean) {
  return (room: Room, stanza: Element, from: Jid, q: Element): Promise<Element> | undefined => {
    if (stanza.attrs.type !== 'get' || q.name !== 'query' || q.attrs.xmlns !== NS_DISCO_INFO || q.attrs.node !== NODE_ROOMUSER) return undefined;
    return (async () => {
      const out = xml('query', { xmlns: NS_DISCO_INFO, node: NODE_ROOMUSER });
      const nick = room.affiliations.get(from.bareString)?.nick ?? (isLocal(from) ? await nickname(from.local) : undefined);
      if (nick) out.append(xml('identity', { category: 'conference', type: 'text', name: nick }));
      return out;
    })();
  };
}
