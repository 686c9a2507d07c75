/**
 * XEP-0012 Last Activity: the server's uptime (§5), and for an account the time since its last
 * logout with the status it left (§4) — only to the account itself and to contacts subscribed to
 * its presence; others get forbidden.
 */
import xml from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { Priority } from '../../core/events.js';
import { defineModule, keyval } from '../../core/module.js';
import '../roster/service.js';

const NS = 'jabber:iq:last';
const LAST_STATUS = Symbol('last-activity status');

interface LastLogout { time: number; status: string }

export default defineModule({
  name: 'last',
  xeps: [{ number: 12, version: '2.0', status: 'complete' }],
  depends: ['accounts'],
  stores: { last: keyval<LastLogout>('last') },
  setup(ctx) {
    const started = Date.now();
    const seconds = (since: number) => String(Math.max(0, Math.floor((Date.now() - since) / 1000)));

    ctx.iq.get(NS, 'query', () => xml('query', { xmlns: NS, seconds: seconds(started) }), 'host');

    ctx.iq.get(NS, 'query', async (req) => {
      const username = req.to.local;
      if (!(await ctx.services.get('accounts').exists(username))) throw new StanzaError('service-unavailable');
      const self = req.from.local === username && req.from.domain === ctx.host;
      if (!self) {
        const item = await ctx.services.maybe('roster')?.item(username, req.from.bareString);
        if (item?.subscription !== 'from' && item?.subscription !== 'both') throw new StanzaError('forbidden');
      }
      if (ctx.sessions.availableOf(username).length > 0) return xml('query', { xmlns: NS, seconds: '0' });
      const last = await ctx.stores.last.get(username);
      if (!last) throw new StanzaError('item-not-found');
      return xml('query', { xmlns: NS, seconds: seconds(last.time) }, last.status);
    }, 'bare');

    // Seen before the presence module handles the broadcast; only noted, never consumed.
    ctx.hook('pre-presence/self', ({ stanza, origin }) => {
      if (origin && stanza.attrs.type === 'unavailable') origin.state.set(LAST_STATUS, stanza.getChildText('status') ?? '');
    }, Priority.Intercept);
    ctx.hook('session/closed', async ({ session }) => {
      if (!session.username || ctx.sessions.sessionsOf(session.username).length > 0) return;
      const status = (session.state.get(LAST_STATUS) as string | undefined) ?? '';
      await ctx.stores.last.set(session.username, { time: Date.now(), status });
    });
    ctx.hook('user/deleting', async ({ username }) => { await ctx.stores.last.set(username, undefined); });
    ctx.features.add(NS);
  },
});
