/**
 * Which messages are copied: the rules XEP-0280 §6 suggests. Chat messages, and normal messages
 * with a body; never errors, headlines, groupchat or anything from a MUC (including its private
 * messages), never a message marked <private/> (§9) or with a <no-copy/> hint (XEP-0334), and never
 * a carbon itself.
 */
import type { Element } from '@xmpp/xml';

export const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_HINTS = 'urn:xmpp:hints';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

export function eligible(m: Element): boolean {
  const type = m.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return false;
  let body = false;
  for (const c of m.children) {
    if (typeof c === 'string') continue;
    const ns = c.attrs.xmlns;
    if (ns === NS_CARBONS || ns === NS_MUC_USER) return false;
    if (ns === NS_HINTS && c.name === 'no-copy') return false;
    if (c.name === 'body') body = true;
  }
  return type === 'chat' || body;
}
