/**
 * XEP-0115 Entity Capabilities 1.6.0, server side.
 *
 * The server's own capabilities: §6.3 a <c/> stream feature (after authentication, hash sha-1)
 * whose 'ver' is the §5.1 verification string of the server's disco#info as the disco module
 * answers it; §6.2 disco#info on node#ver answers the same as disco#info without a node, for the
 * current 'ver' (an outdated one is item-not-found, as any unknown node).
 *
 * Clients' capabilities: the <c/> of each session's available presence (§4.1) is recorded; an
 * unavailable presence forgets it. The `caps` service (service.ts) tells a session's features:
 * a 'ver' not yet known is resolved by one disco#info query to that session on node#ver (§6.2),
 * checked per §5.4 (well-formed, hash matches) before it is cached, bounded, by hash and 'ver'.
 * Legacy caps without 'hash' (§5.4 step 1.1) and hashes outside SHA-1/SHA-2 are not resolved.
 */
import type { FeatureContext } from '../../core/events.js';
import { Priority } from '../../core/events.js';
import { Jid } from '../../core/jid.js';
import { defineModule } from '../../core/module.js';
import { xml } from '../../core/stanza.js';
// The `disco` service (declared there) gives the server's own disco#info.
import type {} from '../disco/service.js';
import { createCaps } from './service.js';
import { capsVer, NS_CAPS, parseDiscoInfo } from './verification.js';

/** The 'node' of the server's caps: names the software, per §4.1 a URI. */
export const TERN_NODE = 'https://tern.example/caps';

export default defineModule({
  name: 'caps',
  xeps: [{ number: 115, version: '1.6.0', status: 'complete', note: "server side: the server's caps stream feature, and verified caps of clients for other modules" }],
  depends: ['disco'],
  options: () => ({ maxCached: 1000, timeoutMs: 10_000 }),
  setup(ctx) {
    const disco = ctx.services.get('disco');
    ctx.features.add(NS_CAPS);

    const hostVer = (from: Jid): string => {
      const info = parseDiscoInfo(disco.hostInfo(from).query);
      // Our own answer never repeats an item (disco de-duplicates), so it is always well-formed.
      return info === 'ill-formed' ? '' : capsVer(info)!;
    };
    const requester = (f: FeatureContext): Jid =>
      f.session.jid ?? (f.session.username ? Jid.of(f.session.username, ctx.host) : Jid.of('', ctx.host));

    ctx.fold('stream/features', (features, f) => (f.authenticated
      ? [...features, xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: TERN_NODE, ver: hostVer(requester(f)) })]
      : features));

    ctx.fold('disco/info/host', (value, c) => {
      if (c.node === undefined || !c.node.startsWith(`${TERN_NODE}#`)) return value;
      const { info } = disco.hostInfo(c.from);
      return c.node === `${TERN_NODE}#${hostVer(c.from)}` ? info : value;
    });

    const caps = createCaps({ host: ctx.host, maxCached: ctx.options.maxCached, timeoutMs: ctx.options.timeoutMs, request: ctx.iq.request, log: ctx.log });
    ctx.provide('caps', caps);

    // Noted before the presence module broadcasts; never consumes the stanza.
    ctx.hook('pre-presence/self', ({ stanza, origin }) => {
      if (!origin?.jid) return;
      const type = stanza.attrs.type as string | undefined;
      if (type === undefined) caps.record(origin, stanza.getChild('c', NS_CAPS));
      else if (type === 'unavailable') caps.forget(origin);
    }, Priority.Intercept);
  },
});
