/**
 * XEP-0199 XMPP Ping: the server answers pings to itself (§4.2) and, on the user's behalf, to the
 * user's own bare JID. Server-initiated pings (§4.1) are not sent yet.
 */
import { defineModule } from '../../core/module.js';

export const NS_PING = 'urn:xmpp:ping';

export default defineModule({
  name: 'ping',
  xeps: [{ number: 199, version: '2.0.1', status: 'complete', note: 'answers pings; sending them (§4.1, §4.3) is optional and not done yet' }],
  setup(ctx) {
    const pong = () => true as const;
    ctx.iq.get(NS_PING, 'ping', pong, 'host');
    ctx.iq.get(NS_PING, 'ping', pong, 'self');
    ctx.features.add(NS_PING);
  },
});
