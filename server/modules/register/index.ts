/**
 * XEP-0077 In-Band Registration: account creation before authentication (§3.1), password change
 * (§3.3) and account removal (§3.2) after it. The host's `registration` mode decides who may
 * create accounts: anyone (open), nobody in-band (closed), or authenticated admins (admin).
 * Creation from one address is rate-limited (loopback exempt: benchmarks register thousands).
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import type { IqRequest } from '../../core/iq.js';
import { defineModule } from '../../core/module.js';
import { errorReply, iqPayload, iqResult } from '../../core/stanza.js';
import { isLoopback } from '../../core/transports/tcp.js';
import '../../core/accounts.js';
import { RateLimit } from './rate-limit.js';

const NS = 'jabber:iq:register';
/** Accounts one address may create per window. */
const PER_ADDRESS = 5;
const WINDOW_MS = 60_000;

function describePolicy(p: { min_length: number; max_length: number; pattern: string | null }, what: string): string {
  return `${what}: ${p.min_length}–${p.max_length} characters${p.pattern ? `, matching ${p.pattern}` : ''}`;
}

export default defineModule({
  name: 'register',
  xeps: [{ number: 77, version: '2.4', status: 'complete', note: 'no data forms; admin mode via authenticated admins' }],
  depends: ['accounts'],
  setup(ctx) {
    const mode = ctx.hostConfig.registration;
    const admins = new Set(ctx.hostConfig.admins.map((a) => a.toLowerCase()));
    const limit = new RateLimit(PER_ADDRESS, WINDOW_MS);
    const accounts = () => ctx.services.get('accounts');
    const instructions = `Choose a username and password. ${describePolicy(ctx.hostConfig.username_policy, 'Username')}; ${describePolicy(ctx.hostConfig.password_policy, 'password')}.`;
    const form = () => xml('query', { xmlns: NS }, xml('instructions', {}, instructions), xml('username'), xml('password'));

    const fields = (q: Element) => ({ username: q.getChildText('username'), password: q.getChildText('password') });

    const create = async (q: Element, address: string): Promise<void> => {
      const { username, password } = fields(q);
      if (!username || !password) throw new StanzaError('bad-request', 'username and password are required');
      if (!isLoopback(address) && !limit.take(address)) throw new StanzaError('resource-constraint', 'too many registrations from this address', 'wait');
      await accounts().create(username, password);
      ctx.log.info({ user: username }, 'account registered in-band');
    };

    ctx.provide('registration', {
      offeredTo: () => mode === 'open',
      async preAuth(iq, session) {
        try {
          if (iq.attrs.to && iq.attrs.to !== ctx.host) throw new StanzaError('service-unavailable');
          const q = iqPayload(iq)!;
          if (iq.attrs.type === 'get') return iqResult(iq, form());
          if (iq.attrs.type !== 'set') throw new StanzaError('bad-request');
          if (q.getChild('remove')) throw new StanzaError('not-authorized', 'log in to remove an account');
          if (mode !== 'open') throw new StanzaError('not-allowed', 'in-band registration is disabled');
          await create(q, session.remoteAddress);
          return iqResult(iq);
        } catch (err) {
          if (err instanceof StanzaError) return errorReply(iq, err);
          throw err;
        }
      },
    });

    const get = (req: IqRequest) =>
      xml('query', { xmlns: NS }, xml('instructions', {}, instructions), xml('registered'), xml('username', {}, req.from.local), xml('password'));

    const set = async (req: IqRequest): Promise<true> => {
      if (req.from.domain !== ctx.host) throw new StanzaError('not-allowed');
      const own = req.from.local;
      if (req.payload.getChild('remove')) {
        // §3.2: the result is queued first; the deletion (which closes this session) runs on the next turn.
        setImmediate(() => { accounts().delete(own).catch((err) => ctx.log.error({ err }, 'account removal failed')); });
        return true;
      }
      const { username, password } = fields(req.payload);
      if (!username || !password) throw new StanzaError('bad-request', 'username and password are required');
      if (username.toLowerCase() === own) {
        await accounts().setPassword(own, password);
        return true;
      }
      // Someone else's account: only an admin may create one (admin mode), never change another's password.
      if (!admins.has(req.from.bareString)) throw new StanzaError('not-allowed');
      if (await accounts().exists(username.toLowerCase())) throw new StanzaError('conflict');
      await create(req.payload, req.origin?.remoteAddress ?? '');
      return true;
    };

    ctx.iq.get(NS, 'query', get, 'host');
    ctx.iq.get(NS, 'query', get, 'self');
    ctx.iq.set(NS, 'query', set, 'host');
    ctx.iq.set(NS, 'query', set, 'self');
    ctx.features.add(NS);
  },
});
