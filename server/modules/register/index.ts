/**
 * XEP-0077 In-Band Registration: account creation before authentication (§3.1, §3.1.1), the
 * registration form with its data-form twin (§4), cancellation (§3.2) and password change (§3.3)
 * after it, the stream feature (§8) and the disco feature (§11). The host's `registration` mode
 * decides who creates accounts in-band: anyone (open), nobody (closed: the CLI only), or its
 * authenticated admins (admin). Creation is rate-limited per address; loopback is exempt.
 */
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { defineModule } from '../../core/module.js';
import { isLoopback } from '../../core/transports/tcp.js';
import type {} from '../../core/accounts.js';
import { registrationInfo, registrationSet, type AccountIqDeps } from './authenticated.js';
import { NS_REGISTER } from './form.js';
import { registrationInstructions } from './policy-text.js';
import { preAuthRegister, type PreAuthDeps } from './pre-auth.js';
import { RateLimit } from './rate-limit.js';
import { removeOwnAccount } from './remove.js';

/** Accounts one address (an IPv6 /64) may create per window, loopback and admins exempt. */
export const REGISTRATIONS_PER_ADDRESS = 5;
export const REGISTRATION_WINDOW_MS = 60_000;

export default defineModule({
  name: 'register',
  xeps: [{ number: 77, version: '2.5', status: 'complete', note: 'data forms (§4) mirror the plain fields; no CAPTCHA; no web registration URL' }],
  depends: ['accounts'],
  setup(ctx) {
    const mode = ctx.hostConfig.registration;
    const admins = new Set<string>();
    for (const a of ctx.hostConfig.admins) {
      const jid = Jid.tryParse(a);
      if (jid?.local && !jid.resource) admins.add(jid.bareString);
      else ctx.log.warn({ admin: a }, 'ignoring an admin that is not a bare JID');
    }
    const accounts = () => ctx.services.get('accounts');
    const base = {
      host: ctx.host,
      mode,
      instructions: registrationInstructions(ctx.hostConfig.username_policy, ctx.hostConfig.password_policy),
      accounts,
      limit: new RateLimit(REGISTRATIONS_PER_ADDRESS, REGISTRATION_WINDOW_MS),
      log: ctx.log,
    };
    const preAuth: PreAuthDeps = { ...base, isLoopback };
    const authenticated: AccountIqDeps = {
      ...base,
      admins,
      remove: (req) => removeOwnAccount(req, { sessions: ctx.sessions, accounts, log: ctx.log }),
    };

    ctx.provide('registration', {
      offeredTo: () => mode === 'open',
      preAuth: (iq, stream) => preAuthRegister(iq, stream, preAuth),
    });
    for (const target of ['host', 'self'] as const) {
      ctx.iq.get(NS_REGISTER, 'query', (req) => registrationInfo(req, authenticated), target);
      ctx.iq.set(NS_REGISTER, 'query', (req) => {
        // XEP-0175 §3: an anonymous session (SASL ANONYMOUS) has no account to register, cancel or re-password.
        if (req.origin?.anonymous) throw new StanzaError('not-allowed', 'anonymous sessions cannot register or change a password');
        return registrationSet(req, authenticated);
      }, target);
    }
    ctx.features.add(NS_REGISTER);
  },
});
