/**
 * The `sip-gateway` service other modules use to address SIP users (RFC 7247 §5.1): the gateway
 * JID (user%sip.domain@<gateway domain>) of a `sip:`/`sips:` URI. Provided only on a host whose
 * gateway is running; `jidFor` gives undefined for a URI that is malformed or has no user part.
 * A message routed to that JID leaves as a SIP MESSAGE with a message/cpim body (RFC 7572 §4).
 */
import type { Jid } from '../../core/jid.js';

declare module '../../core/module.js' {
  interface Services { 'sip-gateway': SipGatewayService }
}

export interface SipGatewayService {
  /** The gateway's XMPP domain (sip.<host> unless configured). */
  domain: string;
  jidFor(uri: string): Jid | undefined;
}
