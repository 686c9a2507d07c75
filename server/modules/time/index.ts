/** XEP-0202 Entity Time for the server (§3), always in UTC. */
import { defineModule } from '../../core/module.js';
import { NS_TIME, timeElement } from './entity-time.js';

export default defineModule({
  name: 'time',
  xeps: [{ number: 202, version: '2.0', status: 'complete' }],
  setup(ctx) {
    ctx.iq.get(NS_TIME, 'time', () => timeElement(new Date()), 'host');
    ctx.features.add(NS_TIME);
  },
});
