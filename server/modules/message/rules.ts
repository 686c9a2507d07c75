/**
 * The delivery rules of RFC 6121 §8.5 as pure decisions over a user's sessions, and the
 * offline-storage policy of XEP-0160 §3 and XEP-0334 §4.2, so they can be tested without a server.
 */
import type { Element } from '@xmpp/xml';
import type { Session } from '../../core/sessions.js';

export type MessageType = 'normal' | 'chat' | 'groupchat' | 'headline' | 'error';

const TYPES = new Set<string>(['normal', 'chat', 'groupchat', 'headline', 'error']);

/** RFC 6121 §5.2.2: no 'type', or one the recipient does not understand, means 'normal'. */
export function messageType(stanza: Element): MessageType {
  const t = stanza.attrs.type as string | undefined;
  return t !== undefined && TYPES.has(t) ? (t as MessageType) : 'normal';
}

/**
 * Whether a session may receive messages addressed to the bare JID (RFC 6121 §8.5.2.1.1): it has
 * sent available presence (a connected resource that has not is not "available", RFC 6121 §1.5)
 * with a non-negative priority.
 */
export function takesBareMessages(s: Session): boolean {
  return s.available && s.priority >= 0 && !s.closed;
}

/**
 * Sessions that get a message sent to the bare JID (RFC 6121 §8.5.2.1.1).
 * headline: every available resource with non-negative priority.
 * chat and normal: the RFC lets the server pick the "most available" resource or resources; we
 * take every resource sharing the highest non-negative priority, so a user with two devices at the
 * same priority sees the message on both instead of on whichever one a tie-break would pick.
 */
export function bareTargets(sessions: Iterable<Session>, type: 'chat' | 'normal' | 'headline'): Session[] {
  const eligible: Session[] = [];
  for (const s of sessions) if (takesBareMessages(s)) eligible.push(s);
  if (type === 'headline' || eligible.length <= 1) return eligible;
  let top = -Infinity;
  for (const s of eligible) if (s.priority > top) top = s.priority;
  return eligible.filter((s) => s.priority === top);
}

const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
const NS_HINTS = 'urn:xmpp:hints';

/** Children that carry nothing for a reader later: chat states, processing hints, the thread id. */
function transient(child: Element): boolean {
  const ns = child.attrs.xmlns as string | undefined;
  return ns === NS_CHATSTATES || ns === NS_HINTS || (child.name === 'thread' && (ns === undefined || ns === 'jabber:client'));
}

/** What to do with a chat or normal message that no resource can take now. */
export type OfflineDecision = 'store' | 'drop' | 'reject';

/**
 * XEP-0160 §3: chat and normal messages are stored, except those with only chat-state
 * notifications (XEP-0085), which are dropped, as is a message with no content at all.
 * XEP-0334 §4.2 `<no-store/>` forbids storage; RFC 6121 §8.5.2.2.1 then leaves only the error.
 */
export function offlineDecision(stanza: Element): OfflineDecision {
  let content = false;
  let noStore = false;
  for (const c of stanza.children) {
    if (typeof c === 'string') continue;
    if (c.name === 'no-store' && c.attrs.xmlns === NS_HINTS) noStore = true;
    if (!transient(c)) content = true;
  }
  if (!content) return 'drop';
  return noStore ? 'reject' : 'store';
}
