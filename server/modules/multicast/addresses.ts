/**
 * XEP-0033 Extended Stanza Addressing, the multicast service's rules as a pure function: §4 address
 * validation, §4.5 delivered='true' on every non-bcc address, §4.6.3 bcc addresses only in their
 * own recipient's copy, §5 one copy per recipient with the outer 'to' replaced, §8 errors
 * (not-acceptable over the limit, jid-malformed for 'uri' addresses, which are not supported).
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { childElements, withAttrs } from '../../core/stanza.js';

export const NS_ADDRESS = 'http://jabber.org/protocol/address';
const TYPES = new Set(['to', 'cc', 'bcc', 'replyto', 'replyroom', 'noreply', 'ofrom']);
const RECIPIENT_TYPES = new Set(['to', 'cc', 'bcc']);

export interface Copy { to: Jid; stanza: Element }

export function addressesOf(stanza: Element): Element | undefined {
  return stanza.getChild('addresses', NS_ADDRESS);
}

/** The copies to route, one per recipient not yet delivered to; throws the §8 StanzaError. */
export function expand(stanza: Element, maxAddresses: number): Copy[] {
  const header = addressesOf(stanza)!;
  const list = childElements(header).filter((c) => c.name === 'address');
  if (list.length === 0) throw new StanzaError('bad-request', 'no addresses');
  if (list.length > maxAddresses) throw new StanzaError('not-acceptable', `at most ${maxAddresses} addresses per stanza`);

  const pending: Array<{ jid: Jid; address: Element; bcc: boolean }> = [];
  const publicAddresses: Element[] = [];
  for (const a of list) {
    const type = a.attrs.type;
    if (!TYPES.has(type)) throw new StanzaError('bad-request', `unknown address type ${String(type)}`);
    if (a.attrs.jid !== undefined && a.attrs.uri !== undefined) throw new StanzaError('bad-request', 'an address has either jid or uri');
    const delivered = a.attrs.delivered === 'true';
    if (!RECIPIENT_TYPES.has(type) || delivered) {
      if (type !== 'bcc') publicAddresses.push(a);
      continue;
    }
    if (a.attrs.uri !== undefined) throw new StanzaError('jid-malformed', 'uri addresses are not supported');
    if (a.attrs.jid === undefined) throw new StanzaError('bad-request', 'a recipient address needs a jid');
    const jid = Jid.tryParse(a.attrs.jid);
    if (!jid) throw new StanzaError('jid-malformed', `not a JID: ${a.attrs.jid}`);
    const marked = xml('address', { ...a.attrs, jid: jid.toString(), delivered: 'true' }, ...childElements(a));
    pending.push({ jid, address: marked, bcc: type === 'bcc' });
    if (type !== 'bcc') publicAddresses.push(marked);
  }

  // Each recipient once: a JID named twice (say in 'to' and 'bcc') gets the visible copy.
  const byJid = new Map<string, { jid: Jid; address: Element; bcc: boolean }>();
  for (const p of pending) {
    const k = p.jid.toString();
    const prev = byJid.get(k);
    if (!prev || (prev.bcc && !p.bcc)) byJid.set(k, p);
  }

  const others = childElements(stanza).filter((c) => c !== header);
  const copies: Copy[] = [];
  for (const { jid, address, bcc } of byJid.values()) {
    const addresses = xml('addresses', { xmlns: NS_ADDRESS }, ...publicAddresses, ...(bcc ? [address] : []));
    const copy = withAttrs(stanza, { to: jid.toString() });
    copy.children = [...others, addresses];
    copies.push({ to: jid, stanza: copy });
  }
  return copies;
}
