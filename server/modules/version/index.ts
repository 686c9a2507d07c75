/**
 * XEP-0092 Software Version. The operating system is not disclosed (XEP-0092 §5: it helps
 * attackers pick exploits).
 */
import xml from '@xmpp/xml';
import { defineModule } from '../../core/module.js';
import { TERN_VERSION } from '../../version.js';

const NS = 'jabber:iq:version';

export default defineModule({
  name: 'version',
  xeps: [{ number: 92, version: '1.1', status: 'complete' }],
  setup(ctx) {
    ctx.iq.get(NS, 'query', () => xml('query', { xmlns: NS }, xml('name', {}, 'Tern'), xml('version', {}, TERN_VERSION)), 'host');
    ctx.features.add(NS);
  },
});
