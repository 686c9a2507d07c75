/**
 * The msisdn.<domain> component: XEP-0100 §6.3 address translation and addressing by number.
 *   disco#info (XEP-0100 §5 / XEP-0030): identity gateway/pstn, features disco#info and jabber:iq:gateway.
 *   GET jabber:iq:gateway → <desc/> + <prompt/>; SET with <prompt>number</prompt> → <jid/> with the
 *   account's bare JID (what a client puts in its roster), item-not-found when nothing resolves,
 *   not-acceptable when the prompt is not a valid number.
 *   Message or presence to +CC…@msisdn.<domain>: resolved, then routed on with 'to' rewritten to
 *   that JID and 'from' kept (the recipient sees the real sender; replies come from the real JID).
 *   Unresolvable → item-not-found. IQs to a number address → service-unavailable.
 * Who may ask: this host's users (the full resolver, rate-limited per user); any other domain is a
 * peer — only operator-allowed peers (else forbidden), rate-limited per domain, and answered from
 * this host's directory only, never recursively.
 */
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import type { Jid } from '../../core/jid.js';
import { errorReply, iqPayload, iqResult, mustNotBounce, withAttrs, xml } from '../../core/stanza.js';
import type { RateLimit } from '../../../gateways/msisdn/rate.js';

export const NS_GATEWAY = 'jabber:iq:gateway';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

export interface GatewayDeps {
  host: string;
  domain: string;
  allowedPeers: ReadonlySet<string>;
  userRate: RateLimit;
  peerRate: RateLimit;
  normalise(input: string): string | undefined;
  /** Full resolution for this host's users. */
  resolve(e164: string): Promise<Jid | undefined>;
  /** This host's directory only, for peers. */
  resolveLocal(e164: string): Promise<Jid | undefined>;
  send(stanza: Element): void;
}

/** Checks who asks and returns the resolver they get; throws forbidden / resource-constraint. */
function resolverFor(d: GatewayDeps, from: Jid): (e164: string) => Promise<Jid | undefined> {
  if (from.domain === d.host && from.local) {
    if (!d.userRate.take(from.bareString)) throw new StanzaError('resource-constraint', 'too many lookups');
    return d.resolve;
  }
  if (!d.allowedPeers.has(from.domain)) throw new StanzaError('forbidden');
  if (!d.peerRate.take(from.domain)) throw new StanzaError('resource-constraint', 'too many lookups');
  return d.resolveLocal;
}

async function answerIq(d: GatewayDeps, stanza: Element, from: Jid): Promise<Element | undefined> {
  const payload = iqPayload(stanza);
  const type = stanza.attrs.type;
  if (!payload) throw new StanzaError('bad-request');
  const ns = payload.attrs.xmlns;
  if (type === 'get' && ns === NS_DISCO_INFO && payload.name === 'query') {
    if (payload.attrs.node) throw new StanzaError('item-not-found');
    return xml('query', { xmlns: NS_DISCO_INFO },
      xml('identity', { category: 'gateway', type: 'pstn', name: 'Phone numbers' }),
      xml('feature', { var: NS_DISCO_INFO }),
      xml('feature', { var: NS_GATEWAY }));
  }
  if (type === 'get' && ns === NS_DISCO_ITEMS && payload.name === 'query') return xml('query', { xmlns: NS_DISCO_ITEMS });
  if (ns === NS_GATEWAY && payload.name === 'query') {
    if (type === 'get') {
      return xml('query', { xmlns: NS_GATEWAY },
        xml('desc', {}, 'Enter the phone number of the contact, in international form (+CC…)'),
        xml('prompt', {}, 'Phone number'));
    }
    const resolve = resolverFor(d, from);
    const text = payload.getChildText('prompt');
    const e164 = text === null ? undefined : d.normalise(text);
    if (!e164) throw new StanzaError('not-acceptable', 'not a valid phone number');
    const jid = await resolve(e164);
    if (!jid) throw new StanzaError('item-not-found');
    return xml('query', { xmlns: NS_GATEWAY }, xml('jid', {}, jid.bareString));
  }
  return undefined;
}

/** Handles one stanza addressed to the gateway domain or to a number under it. */
export async function handleStanza(d: GatewayDeps, stanza: Element, from: Jid, to: Jid): Promise<void> {
  const reject = (err: StanzaError) => {
    if (mustNotBounce(stanza)) return;
    d.send(errorReply(stanza, err));
  };
  try {
    if (stanza.name === 'iq') {
      const type = stanza.attrs.type;
      if (type === 'result' || type === 'error') return;
      if (to.local) throw new StanzaError('service-unavailable');
      const child = await answerIq(d, stanza, from);
      if (child === undefined) throw new StanzaError('service-unavailable');
      d.send(iqResult(stanza, child));
      return;
    }
    if (!to.local) {
      if (stanza.name === 'message') throw new StanzaError('service-unavailable');
      return; // presence to the service itself: nothing to do
    }
    if (stanza.attrs.type === 'error') return;
    const resolve = resolverFor(d, from);
    const e164 = d.normalise(to.local);
    const jid = e164 ? await resolve(e164) : undefined;
    if (!jid) throw new StanzaError('item-not-found');
    d.send(withAttrs(stanza, { to: jid.bareString }));
  } catch (err) {
    if (err instanceof StanzaError) reject(err);
    else throw err;
  }
}
