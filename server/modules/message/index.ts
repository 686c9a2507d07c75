/**
 * Message delivery to local users, RFC 6121 §8.5 (see delivery.ts for the rule each path follows).
 * Offline storage is the `offline` service's (XEP-0160); without it, messages nobody can take now
 * get service-unavailable.
 */
import type { AccountService } from '../../core/accounts.js';
import { Priority } from '../../core/events.js';
import '../../core/anonymous.js';
import { defineModule } from '../../core/module.js';
import { createDelivery } from './delivery.js';
import { KnownAccounts } from './known-accounts.js';

const KNOWN_ACCOUNTS_MAX = 10_000;

export default defineModule({
  name: 'message',
  rfcs: [
    'RFC 6121 §8.5.1 (no such user)',
    'RFC 6121 §8.5.2.1.1 (bare JID, available resources)',
    'RFC 6121 §8.5.2.2.1 (bare JID, no available resource)',
    'RFC 6121 §8.5.3.1 (full JID, resource matches)',
    'RFC 6121 §8.5.3.2.1 (full JID, no resource matches)',
  ],
  xeps: [{ number: 334, version: '0.3.0', status: 'partial', note: '<no-store/> keeps a message out of offline storage' }],
  depends: ['accounts'],
  setup(ctx) {
    const known = new KnownAccounts(KNOWN_ACCOUNTS_MAX);
    const accounts = (): AccountService => ctx.services.get('accounts');
    const delivery = createDelivery({
      sessions: ctx.sessions,
      accountExists: (username) => {
        if (known.has(username)) return true;
        return accounts().exists(username).then((ok) => {
          // A live anonymous session exists only until it ends: not remembered as an account.
          if (ok && !ctx.services.maybe('anonymousLogin')?.inUse(username)) known.add(username);
          return ok;
        });
      },
      offline: () => ctx.services.maybe('offline'),
      delivered: (stanza, username, sessions) => ctx.fire('message/delivered', { stanza, username, sessions }),
    });
    ctx.hook('message/bare', delivery.bare);
    ctx.hook('message/full', delivery.full);
    // Any feature answering messages to the domain itself (a MUC service, a bot) goes first.
    ctx.hook('message/host', delivery.host, Priority.Fallback);
    ctx.hook('user/created', ({ username }) => { known.add(username); });
    ctx.hook('user/deleting', ({ username }) => { known.delete(username); });
  },
});
