/**
 * XEP-0012 Last Activity: the server's uptime (§5); for an account, to those allowed to see its
 * presence (§4, §7; others get forbidden), 0 while it has an available resource, else the seconds
 * since its last session ended and the status of its last unavailable presence. Queries to full
 * JIDs (§6) are the client's to answer; the router delivers them.
 */
import type {} from '../../core/accounts.js';
import { StanzaError } from '../../core/errors.js';
import { Priority } from '../../core/events.js';
import '../../core/anonymous.js';
import { defineModule, keyval } from '../../core/module.js';
import { maySeePresence } from './access.js';
import { type LastLogout, lastElement, NS_LAST, secondsSince } from './activity.js';

/** Per-session: the status of the session's last unavailable broadcast, '' if none since it was available. */
const LEFT_WITH = Symbol('last-activity status');

export default defineModule({
  name: 'last',
  xeps: [{ number: 12, version: '2.0', status: 'complete', note: 'idle time of full JIDs (§6) is left to clients' }],
  depends: ['accounts'],
  stores: { last: keyval<LastLogout>('last') },
  setup(ctx) {
    const started = Date.now();
    // Accounts being removed: a session they close meanwhile must not leave a record behind.
    const removed = new Set<string>();

    ctx.iq.get(NS_LAST, 'query', () => lastElement(secondsSince(started, Date.now())), 'host');

    ctx.iq.get(NS_LAST, 'query', async (req) => {
      const username = req.to.local;
      if (!(await maySeePresence(req.from, username, ctx.host, ctx.services.maybe('roster')))) throw new StanzaError('forbidden');
      if (!(await ctx.services.get('accounts').exists(username))) throw new StanzaError('service-unavailable');
      if (ctx.sessions.availableOf(username).length > 0) return lastElement(0);
      const last = await ctx.stores.last.get(username);
      // Never logged out since this module has kept records: nothing to tell (as ejabberd answers).
      if (!last) throw new StanzaError('service-unavailable');
      return lastElement(secondsSince(last.time, Date.now()), last.status);
    }, 'bare');

    // Only noted, never consumed: the presence module still broadcasts it.
    ctx.hook('pre-presence/self', ({ stanza, origin }) => {
      if (!origin) return;
      const type = stanza.attrs.type;
      if (type === 'unavailable') origin.state.set(LEFT_WITH, stanza.getChildText('status') ?? '');
      else if (type === undefined) origin.state.delete(LEFT_WITH);
    }, Priority.Intercept);

    ctx.hook('session/closed', async ({ session }) => {
      const username = session.username;
      // An anonymous session (XEP-0175) leaves no last-activity record: its localpart ends with it.
      if (!username || session.anonymous || removed.has(username) || ctx.sessions.sessionsOf(username).length > 0) return;
      await ctx.stores.last.set(username, { time: Date.now(), status: (session.state.get(LEFT_WITH) as string | undefined) ?? '' });
      if (removed.has(username)) await ctx.stores.last.set(username, undefined);
    });
    ctx.hook('user/deleting', async ({ username }) => {
      // An ending anonymous session wrote nothing at session/closed, so nothing to guard (and no set to grow).
      if (!ctx.services.maybe('anonymousLogin')?.inUse(username)) removed.add(username);
      await ctx.stores.last.set(username, undefined);
    });
    ctx.hook('user/created', ({ username }) => { removed.delete(username); });

    ctx.features.add(NS_LAST);
  },
});
