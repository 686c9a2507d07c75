/**
 * Presence: subscriptions (RFC 6121 §3, the state tables of Appendix A, pre-approval §3.4) and
 * presence exchange (§4), with the delivery rules of §8.5 for presence.
 *
 * Sender's side (`pre-presence/*`, the user's own server): no 'to' → broadcast (§4.2, §4.4, §4.5);
 * subscription types → stamped with the bare JID, roster updated, routed (§3); probe → stamped
 * and routed; no type/unavailable with a 'to' → directed presence, noted and left to the router.
 * Receiver's side (`presence/bare`, `presence/full`): subscription types → state machine (§3);
 * probe → answered (§4.3.2); others → delivered (§8.5.2, §8.5.3). The receiver's side relies on
 * the stanza alone, so s2s traffic takes the same path.
 */
// The `accounts` service (declared there) tells whether a subscription request has a recipient.
import type {} from '../../core/accounts.js';
import { HANDLED, type HookResult, type StanzaEvent } from '../../core/events.js';
import { defineModule, map } from '../../core/module.js';
import { type Element, withAttrs, xml } from '../../core/stanza.js';
import { answerProbe, broadcastAvailable, broadcastUnavailable, deliverInbound, noteDirected, type PresenceDeps } from './broadcast.js';
import { type PendingRecord, PendingRequests } from './pending.js';
import { KeyedSerial } from '../../core/serial.js';
import { SUBSCRIPTION_TYPES, type SubscriptionType } from './states.js';
import { denyAllPending, inboundSubscription, outboundSubscription, rosterItemRemoved, type SubscriptionDeps } from './subscriptions.js';
import { NS_PRE_APPROVAL_FEATURE } from './types.js';

export default defineModule({
  name: 'presence',
  description: 'Presence subscriptions and presence broadcast',
  rfcs: ['RFC 6121 §3 (subscriptions)', 'RFC 6121 §3.4 (pre-approval)', 'RFC 6121 §4 (presence)', 'RFC 6121 §8.5 (presence delivery)', 'RFC 6121 App. A (state tables)'],
  depends: ['roster'],
  stores: { pending: map<PendingRecord>('subscription_requests') },
  options: () => ({ maxPendingPerUser: 1000, maxDirectedPerSession: 1000 }),
  setup(ctx) {
    const roster = ctx.services.get('roster');
    const pending = new PendingRequests(ctx.stores.pending, ctx.options.maxPendingPerUser);
    const failed = (err: unknown) => { ctx.log.error({ err }, 'routing presence failed'); };
    // Synchronous when the destination's handlers are: a broadcast then costs no promise per contact.
    const route = (stanza: Element): void | Promise<void> => {
      try {
        return ctx.router.route(stanza)?.catch(failed);
      } catch (err) {
        failed(err);
      }
    };
    const subs: SubscriptionDeps = {
      roster, pending, sessions: ctx.sessions, serial: new KeyedSerial(), route, log: ctx.log,
      userExists: async (username) => (await ctx.services.maybe('accounts')?.exists(username)) ?? true,
    };
    const pres: PresenceDeps = {
      host: ctx.host, roster, pending, sessions: ctx.sessions, route, log: ctx.log,
      maxDirected: ctx.options.maxDirectedPerSession,
      initialPresence: (session) => ctx.notify('session/initial-presence', { session }),
    };
    const bareOf = (username: string) => `${username}@${ctx.host}`;

    ctx.hook('pre-presence/self', async ({ stanza, origin }): Promise<HookResult> => {
      if (!origin?.jid) return undefined;
      const type = stanza.attrs.type as string | undefined;
      if (type === undefined) await broadcastAvailable(pres, origin, stanza);
      else if (type === 'unavailable') await broadcastUnavailable(pres, origin, stanza);
      // Subscription stanzas, probes and errors need an addressee; without one there is nothing to do.
      return HANDLED;
    });

    const outbound = ({ stanza, from, to, origin }: StanzaEvent): HookResult | Promise<HookResult> => {
      const type = stanza.attrs.type as string | undefined;
      if (type !== undefined && SUBSCRIPTION_TYPES.has(type)) {
        return outboundSubscription(subs, from.bareString, from.local, to.bareString, type as SubscriptionType, stanza).then(() => HANDLED);
      }
      if (type === 'probe') {
        const r = route(withAttrs(stanza, { from: from.bareString, to: to.bareString }));
        return r ? r.then(() => HANDLED) : HANDLED;
      }
      if (origin && (type === undefined || type === 'unavailable')) noteDirected(pres, origin, to, type);
      return undefined;
    };
    ctx.hook('pre-presence/bare', outbound);
    ctx.hook('pre-presence/full', outbound);
    // Gateways and other components have domain JIDs, and users subscribe to them too.
    ctx.hook('pre-presence/host', outbound);

    const inbound = ({ stanza, from, to }: StanzaEvent): HookResult | Promise<HookResult> => {
      const type = stanza.attrs.type as string | undefined;
      if (type !== undefined && SUBSCRIPTION_TYPES.has(type)) {
        // §8.5.3.1: subscription stanzas for a full JID are handled as for the bare JID.
        return inboundSubscription(subs, to.local, to.bareString, from.bareString, type as SubscriptionType, stanza).then(() => HANDLED);
      }
      if (type === 'probe') return answerProbe(pres, to, from).then(() => HANDLED);
      deliverInbound(pres, to, stanza);
      return HANDLED;
    };
    ctx.hook('presence/bare', inbound);
    ctx.hook('presence/full', inbound);

    ctx.hook('session/closed', async ({ session }) => {
      if (!session.jid || session.jid.domain !== ctx.host) return;
      await broadcastUnavailable(pres, session, xml('presence', { type: 'unavailable' }));
    });

    const stopListening = roster.onRemoved((username, contact, removed) => rosterItemRemoved(subs, bareOf(username), username, contact, removed));
    ctx.onUnload(() => stopListening.dispose());

    ctx.hook('user/deleting', async ({ username }) => { await denyAllPending(subs, bareOf(username), username); });

    ctx.fold('stream/features', (features, f) => (f.authenticated ? [...features, xml('sub', { xmlns: NS_PRE_APPROVAL_FEATURE })] : features));
  },
});
