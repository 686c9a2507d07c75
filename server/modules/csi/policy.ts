/**
 * What an inactive client (XEP-0352 §3.2) can wait for. A plain function of the stanza and the
 * session's own full JID, so the whole policy is one table in the tests.
 *
 * - 'urgent': goes out now, after everything held (IQs, errors, messages with a body or subject,
 *   encrypted messages, invitations, subscription requests, anything not recognised below).
 * - 'coalesce' with a key: held, and a later stanza with the same key replaces it (presence per
 *   sender full JID, chat states per sender full JID).
 * - 'defer': held as is (receipts, chat markers, body-less messages made only of hints and ids).
 * - 'pass': not a stanza (a stream-level element such as a XEP-0198 ack): written at once, without
 *   releasing the queue, since stream management counts only stanzas and is not part of a conversation.
 */
import type { Element } from '@xmpp/xml';

export type Verdict = { kind: 'urgent' } | { kind: 'defer' } | { kind: 'coalesce'; key: string } | { kind: 'pass' };

const URGENT: Verdict = { kind: 'urgent' };
const DEFER: Verdict = { kind: 'defer' };
const PASS: Verdict = { kind: 'pass' };

const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
const NS_RECEIPTS = 'urn:xmpp:receipts';
const NS_MARKERS = 'urn:xmpp:chat-markers:0';
const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
const CHAT_STATES = new Set(['active', 'composing', 'paused', 'inactive', 'gone']);

/**
 * Children that say nothing on their own: a message made only of these (and of the deferrable
 * payloads) has nothing for the user to read. XEP-0334 hints, XEP-0359 ids, XEP-0203 delay, <thread/>.
 */
function decoration(c: Element): boolean {
  const ns = c.attrs.xmlns;
  if (ns === 'urn:xmpp:hints' || ns === 'urn:xmpp:sid:0' || ns === 'urn:xmpp:delay') return true;
  return c.name === 'thread' && (ns === undefined || ns === 'jabber:client');
}

function children(el: Element): Element[] {
  const out: Element[] = [];
  for (const c of el.children) if (typeof c !== 'string') out.push(c);
  return out;
}

function classifyMessage(msg: Element, keyFrom: string): Verdict {
  if (msg.attrs.type === 'error') return URGENT;
  let chatState = false;
  let deferrable = false;
  for (const c of children(msg)) {
    const ns = c.attrs.xmlns;
    // XEP-0280 copies are as urgent as what they carry; the sender that counts is the inner one.
    if ((c.name === 'received' || c.name === 'sent') && ns === NS_CARBONS) {
      const inner = c.getChild('forwarded', NS_FORWARD)?.getChild('message');
      if (!inner) return URGENT;
      const v = classifyMessage(inner, `${c.name}:${inner.attrs.from ?? ''}>${inner.attrs.to ?? ''}`);
      if (v.kind === 'coalesce') return { kind: 'coalesce', key: `carbon:${v.key}` };
      return v;
    }
    if (ns === NS_CHATSTATES && CHAT_STATES.has(c.name)) { chatState = true; continue; }
    // XEP-0184 §5.2: an acknowledgement (not a request, which rides on a message with a body).
    if (ns === NS_RECEIPTS && c.name === 'received') { deferrable = true; continue; }
    // XEP-0333 §3: received/displayed/acknowledged (<markable/> rides on a message with a body).
    if (ns === NS_MARKERS && c.name !== 'markable') { deferrable = true; continue; }
    if (decoration(c)) continue;
    // A body, a subject, an OMEMO/OpenPGP payload, an invitation, an archive result, a reaction,
    // a retraction, or anything else this list does not know: the user may be waiting for it.
    return URGENT;
  }
  if (chatState && !deferrable) return { kind: 'coalesce', key: `chatstate:${keyFrom}` };
  return DEFER;
}

function classifyPresence(p: Element, ownJid: string | undefined): Verdict {
  const type = p.attrs.type as string | undefined;
  // RFC 6121 §3: a contact waits for the answer to a subscription request; probes and errors too.
  if (type !== undefined && type !== 'unavailable') return URGENT;
  const from = p.attrs.from as string | undefined;
  // The echo of this client's own presence answers something it just did.
  if (from === undefined || from === ownJid) return URGENT;
  // XEP-0045 §7.2.2: the room's self-presence (status 110) completes a join the client is waiting for.
  const mucUser = p.getChild('x', NS_MUC_USER);
  if (mucUser && mucUser.getChildren('status').some((s) => s.attrs.code === '110')) return URGENT;
  return { kind: 'coalesce', key: `presence:${from}` };
}

export function classify(stanza: Element, ownJid?: string): Verdict {
  switch (stanza.name) {
    case 'iq': return URGENT;
    case 'message': return classifyMessage(stanza, stanza.attrs.from ?? '');
    case 'presence': return classifyPresence(stanza, ownJid);
    default: return PASS;
  }
}
