/** XEP-0202 Entity Time: the server's UTC time; the offset is always reported as UTC (+00:00). */
import xml from '@xmpp/xml';
import { defineModule } from '../../core/module.js';

const NS = 'urn:xmpp:time';

export default defineModule({
  name: 'time',
  xeps: [{ number: 202, version: '2.0', status: 'complete' }],
  setup(ctx) {
    ctx.iq.get(NS, 'time', () => xml('time', { xmlns: NS }, xml('tzo', {}, '+00:00'), xml('utc', {}, new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'))), 'host');
    ctx.features.add(NS);
  },
});
