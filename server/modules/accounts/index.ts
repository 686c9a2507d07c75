/**
 * Accounts: the credential store behind SASL (RFC 6120 §6) and account life cycle.
 * Passwords are never stored: only SCRAM-SHA-1 and SCRAM-SHA-256 salted keys (RFC 5802 §3).
 */
import { defineModule, keyval } from '../../core/module.js';
import { type AccountRecord, createAccountService } from './service.js';
import '../../core/accounts.js';
import '../../core/anonymous.js';

export default defineModule({
  name: 'accounts',
  rfcs: ['RFC 6120 §6 (SASL credentials)', 'RFC 5802 §3 (salted password storage)'],
  stores: { accounts: keyval<AccountRecord>('accounts') },
  options: (host, config) => ({ iterations: config.sasl.iterations, username: host.username_policy, password: host.password_policy }),
  setup(ctx) {
    const service = createAccountService({
      store: ctx.stores.accounts,
      options: ctx.options,
      onDeleting: (username) => ctx.notify('user/deleting', { host: ctx.host, username }),
      onDeleted: async (username) => {
        for (const s of ctx.sessions.sessionsOf(username)) s.close();
        await ctx.purgeUser(username);
      },
      onCreated: (username) => ctx.notify('user/created', { host: ctx.host, username }),
      // A live anonymous session's localpart is nobody's to register (XEP-0175 §3: unique JIDs).
      reserved: (username) => (ctx.services.maybe('anonymousLogin')?.inUse(username) ?? false) || (ctx.services.maybe('reservedNames')?.reserved(username) ?? false),
      onPasswordChanged: (username) => ctx.notify('user/password-changed', { host: ctx.host, username }),
    });
    ctx.provide('accounts', {
      ...service,
      // A live SASL ANONYMOUS session (XEP-0175) is a user of the host for delivery, presence and
      // archives until it ends; it has no credentials and no stored record.
      exists: async (username) => (ctx.services.maybe('anonymousLogin')?.inUse(username) ?? false) || service.exists(username),
    });
  },
});
