/** XEP-0199 XMPP Ping: the server answers pings to itself and, on the user's behalf, to the user's own account. */
import { defineModule } from '../../core/module.js';

const NS = 'urn:xmpp:ping';

export default defineModule({
  name: 'ping',
  xeps: [{ number: 199, version: '2.0.1', status: 'complete' }],
  setup(ctx) {
    ctx.iq.get(NS, 'ping', () => true, 'host');
    ctx.iq.get(NS, 'ping', () => true, 'self');
    ctx.features.add(NS);
  },
});
