/**
 * The server-wide `sip` service: one SIP listener (bound by the server when listeners.sip is
 * enabled, never by CLI commands), gateways of each host registering for the SIP domains they
 * answer. Requests for a domain nobody serves get 404 (RFC 3261 §21.4.5), unless one gateway
 * takes them (sip_gateway.route_remote) to route MESSAGEs on.
 */
import type { Disposable } from '../../server/core/events.js';
import { parseSipUri, responseTo } from './message.js';
import { type RequestHandler, type SipTransport, token } from './transport.js';

declare module '../../server/core/module.js' {
  interface Services { sip: SipRoutes }
}

export class SipRoutes {
  private readonly handlers = new Map<string, RequestHandler>();
  transport: SipTransport | undefined;
  private fallback: RequestHandler | undefined;

  /** The handler for domains no host serves (one gateway with sip_gateway.route_remote); false if taken. */
  routeOthers(h: RequestHandler): Disposable | false {
    if (this.fallback) return false;
    this.fallback = h;
    return { dispose: () => { if (this.fallback === h) this.fallback = undefined; } };
  }

  route(domain: string, h: RequestHandler): Disposable {
    if (this.handlers.has(domain)) throw new Error(`SIP domain ${domain} is already served`);
    this.handlers.set(domain, h);
    return { dispose: () => { if (this.handlers.get(domain) === h) this.handlers.delete(domain); } };
  }

  readonly dispatch: RequestHandler = (req, reply, peer) => {
    const host = parseSipUri(req.uri ?? '')?.host;
    const h = host === undefined ? undefined : (this.handlers.get(host) ?? this.fallback);
    if (h) return h(req, reply, peer);
    if (req.method !== 'ACK') reply(responseTo(req, host === undefined ? 416 : 404, token()));
  };
}
