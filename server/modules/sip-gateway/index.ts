/**
 * The SIP/SIMPLE gateway of one host (RFC 7247 architecture §4: an XMPP-side gateway on its own
 * domain, sip.<domain>): a component on that domain for XMPP → SIP (RFC 7572 §4), and a handler
 * on the server's SIP listener for requests addressed to this host's users (RFC 7572 §5). The
 * protocol code lives in gateways/sip and gateways/cpim; this file only wires it. The
 * `sip-gateway` service (service.ts) maps sip:/sips: URIs to gateway JIDs for other modules (WSI).
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { defineModule } from '../../core/module.js';
import { newId } from '../../core/stanza.js';
import { type GatewayDeps, handleSipRequest, handleXmppStanza, sipStatusToCondition, sipUriOf, sipUriToJid } from '../../../gateways/sip/gateway.js';
import { PresenceGateway } from '../../../gateways/sip/presence.js';
import { SipWatcher } from '../../../gateways/sip/watch.js';
import '../../../gateways/sip/routes.js';
import type { SipGatewayService } from './service.js';

export default defineModule({
  name: 'sip-gateway',
  rfcs: ['RFC 7247 §5-6 (addresses, errors)', 'RFC 7572 §4-5 (messages)', 'RFC 3428', 'RFC 7248 §4 (SIP-to-XMPP presence)', 'RFC 7248 §5 (XMPP-to-SIP presence)', 'RFC 3922 §3-4 (CPIM mapping)'],
  options: (h) => h.sip_gateway,
  async setup(ctx) {
    const o = ctx.options;
    if (!o.enabled) return;
    const sip = ctx.services.maybe('sip');
    if (!sip || !ctx.config.listeners.sip.enabled) {
      ctx.log.warn('sip_gateway is enabled but listeners.sip is not: no SIP gateway');
      return;
    }
    const [proxyHost, proxyPort] = o.outbound_proxy ? [o.outbound_proxy.slice(0, o.outbound_proxy.lastIndexOf(':')).replace(/^\[|\]$/g, ''), Number(o.outbound_proxy.slice(o.outbound_proxy.lastIndexOf(':') + 1))] : [];
    const deps: GatewayDeps = {
      host: ctx.host,
      domain: o.domain,
      userExists: (local) => ctx.services.get('accounts').exists(local),
      online: (local) => ctx.sessions.sessionsOf(local).length > 0,
      route: (stanza) => ctx.send(stanza),
      transport: () => sip.transport,
      outbound: proxyHost ? { host: proxyHost, port: proxyPort!, transport: o.outbound_transport } : undefined,
      resolve: async (h) => (net.isIP(h) ? h : (await lookup(h)).address),
      now: () => new Date(),
      newId,
      log: ctx.log,
      routeRemote: o.route_remote,
    };
    if (o.presence) {
      deps.presence = new PresenceGateway({ host: ctx.host, domain: o.domain, route: deps.route, transport: deps.transport, now: () => Date.now(), log: ctx.log });
      ctx.onUnload(() => deps.presence!.close());
      deps.watcher = new SipWatcher({
        host: ctx.host, domain: o.domain, route: deps.route, transport: deps.transport, log: ctx.log,
        peerFor: async (domain) => (deps.outbound
          ? { transport: deps.outbound.transport, address: await deps.resolve(deps.outbound.host), port: deps.outbound.port }
          : { transport: 'udp', address: await deps.resolve(domain), port: 5060 }),
        sipUri: sipUriOf, condition: sipStatusToCondition,
      });
      ctx.onUnload(() => deps.watcher!.close());
    }
    const handler = (req: Parameters<typeof handleSipRequest>[1], reply: Parameters<typeof handleSipRequest>[2], peer: Parameters<typeof handleSipRequest>[3]) => {
      handleSipRequest(deps, req, reply, peer).catch((err) => ctx.log.error({ err }, 'SIP request failed'));
    };
    const route = sip.route(ctx.host, handler);
    ctx.onUnload(() => route.dispose());
    if (o.route_remote) {
      const others = sip.routeOthers(handler);
      if (others) ctx.onUnload(() => others.dispose());
      else ctx.log.warn('sip_gateway.route_remote: another host already routes SIP requests for other domains');
    }
    const component = ctx.router.addComponent(o.domain, {
      deliver: (stanza, from, to) => {
        handleXmppStanza(deps, stanza, from, to).then((reply) => {
          if (reply) ctx.send(reply);
        }, (err) => ctx.log.error({ err }, 'SIP gateway failed'));
      },
    });
    ctx.onUnload(() => component.dispose());
    const service: SipGatewayService = { domain: o.domain, jidFor: (uri) => sipUriToJid(uri, o.domain) };
    ctx.provide('sip-gateway', service);
  },
});
