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
const NS_RECEIPTS = 'urn:xmpp:receipts';
const NS_AMP = 'http://jabber.org/protocol/amp';
const NS_EXPIRE = 'jabber:x:expire';

/**
 * Children that carry nothing for a reader later, so a message of only these is not stored:
 * - chat states (XEP-0085 §5 "Server Handling of Notifications": standalone notifications SHOULD
 *   NOT be stored offline; XEP-0160 §3 says the same of chat messages with only XEP-0085 content);
 * - processing hints (XEP-0334), the thread id (a standalone notification carries it, XEP-0085 §5
 *   "Syntax of Notifications"), and delivery rules (XEP-0079 <amp/>, XEP-0023 <x/>): they say how
 *   to handle content, they are none;
 * - a receipt request (XEP-0184 "Protocol Format": <request/> is included in a content message; a
 *   request with nothing to acknowledge asks for nothing).
 * A receipt itself (<received/>) is content: it is the sender's only news that their message
 * arrived, XEP-0184 "Protocol Format" expects intermediaries to add a XEP-0203 <delay/> to one
 * "when routing or delivering the receipt message", and XEP-0160 §3 excludes only chat states.
 * So a pure ack to an offline sender is stored (Prosody drops it; we prefer the sender's client
 * not to show a delivered message as undelivered forever). <no-store/> still keeps it out.
 */
function transient(child: Element): boolean {
  const ns = child.attrs.xmlns as string | undefined;
  if (ns === NS_CHATSTATES || ns === NS_HINTS || ns === NS_AMP) return true;
  if (ns === NS_RECEIPTS) return child.name === 'request';
  if (ns === NS_EXPIRE) return child.name === 'x';
  return child.name === 'thread' && (ns === undefined || ns === 'jabber:client');
}

/** What to do with a chat or normal message that no resource can take now. */
export type OfflineDecision = 'store' | 'drop' | 'reject';

/**
 * XEP-0160 §3: chat and normal messages are stored, except those with only chat-state
 * notifications (XEP-0085), which are dropped, as is a message with no content at all (see
 * `transient`). A message with content is stored intact, chat states and receipt requests
 * included: the recipient's client answers the request when it gets the message.
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
