/**
 * Presence subscriptions (RFC 6121 §3), driven by the Appendix A tables in states.ts:
 *   outbound, on the sender's server: subscribe §3.1.2, subscribed §3.1.5, pre-approval §3.4,
 *   unsubscribed §3.2.2, unsubscribe §3.3.2 — stamped with the user's bare JID and routed;
 *   inbound, on the recipient's server: §3.1.3, §3.1.6, §3.2.3, §3.3.3 — which use only the
 *   stanza (its 'from'), so they serve local and s2s senders alike.
 *
 * A transition reads the roster item and the pending-in record and writes both; it runs
 * serialised per user, and the stanzas it causes are sent after the lock is released: a local
 * contact's server answers inside the same call chain (auto-reply, approval), and holding the
 * lock across that would deadlock two users subscribing to each other.
 */
import type { Logger } from 'pino';
import type { SessionRegistry } from '../../core/sessions.js';
import { type Element, withAttrs, xml } from '../../core/stanza.js';
import type { PendingRequests } from './pending.js';
import type { KeyedSerial } from '../../core/serial.js';
import { hasFrom, hasTo, INBOUND, OUTBOUND, type Parts, partsOf, PRE_APPROVABLE, stateOf, type SubState, type SubscriptionType } from './states.js';
import type { RosterItem, RosterService } from './types.js';

export interface SubscriptionDeps {
  roster: RosterService;
  pending: PendingRequests;
  sessions: SessionRegistry;
  serial: KeyedSerial;
  /** Routes a stanza; a promise (when there is one) resolves once the router is done with it (order matters here). */
  route(stanza: Element): void | Promise<void>;
  /** Whether a local account exists (§8.5.1: a request to nobody is answered "unsubscribed"). */
  userExists(username: string): Promise<boolean>;
  log: Logger;
}

function partsFrom(item: RosterItem | undefined, pendingIn: boolean): Parts {
  return { subscription: item?.subscription ?? 'none', pendingOut: item?.ask === 'subscribe', pendingIn };
}

/** The item for a new state; pending-in is not the roster's, and a bare "None" needs no item. */
function withState(item: RosterItem | undefined, contact: string, next: SubState): RosterItem | undefined {
  const p = partsOf(next);
  if (!item && p.subscription === 'none' && !p.pendingOut) return undefined;
  const out: RosterItem = { jid: contact, groups: item?.groups ?? [], subscription: p.subscription };
  if (item?.name !== undefined) out.name = item.name;
  if (p.pendingOut) out.ask = 'subscribe';
  // A pre-approval is used up once the contact is subscribed (§3.4).
  if (item?.approved && !hasFrom(next)) out.approved = true;
  return out;
}

function withoutApproval(item: RosterItem): RosterItem {
  const { approved: _approved, ...rest } = item;
  return rest;
}

/** §3.1.5, §3.4: once a contact may see the user's presence, it gets the current one. */
export async function sendCurrentPresence(d: Pick<SubscriptionDeps, 'sessions' | 'route'>, username: string, to: string): Promise<void> {
  for (const s of d.sessions.availableOf(username)) {
    if (s.presence) await d.route(withAttrs(s.presence, { to }));
  }
}

/** §3.2.2, §3.3.3: a contact that may no longer see the user's presence is told it is gone. */
export async function sendUnavailable(d: Pick<SubscriptionDeps, 'sessions' | 'route'>, username: string, to: string): Promise<void> {
  for (const s of d.sessions.availableOf(username)) {
    if (s.jid) await d.route(xml('presence', { type: 'unavailable', from: s.jid.toString(), to }));
  }
}

/** A subscription stanza from the local user `username` to `contact` (a bare JID). */
export async function outboundSubscription(d: SubscriptionDeps, userBare: string, username: string, contact: string, type: SubscriptionType, stanza: Element): Promise<void> {
  // One is implicitly subscribed to one's own presence (§4.2.2); a roster state for it would only confuse.
  if (contact === userBare) return;
  const effect = await d.serial.run(username, async () => {
    const pendingIn = await d.pending.has(username, contact);
    const e = { route: type !== 'subscribed', approved: false, cancelled: false };
    await d.roster.modify(username, contact, (cur) => {
      const s = stateOf(partsFrom(cur, pendingIn));
      const next = OUTBOUND[type][s];
      if (type === 'subscribed') {
        if (next) {
          e.route = e.approved = true;
          return withState(cur, contact, next);
        }
        // §3.4.2: noted on the roster item, not routed; the contact's later request is then approved at once.
        if (PRE_APPROVABLE.has(s) && !cur?.approved) return { ...(cur ?? { jid: contact, groups: [], subscription: 'none' }), approved: true };
        return cur;
      }
      if (type === 'unsubscribed') {
        e.cancelled = hasFrom(s);
        // §3.4: "unsubscribed" also withdraws a pre-approval.
        const base = cur?.approved ? withoutApproval(cur) : cur;
        return next ? withState(base, contact, next) : base;
      }
      return next ? withState(cur, contact, next) : cur;
    });
    // Approving or denying answers the stored request.
    if (pendingIn && (type === 'unsubscribed' || e.approved)) await d.pending.delete(username, contact);
    return e;
  });
  if (effect.route) await d.route(withAttrs(stanza, { from: userBare, to: contact }));
  if (effect.approved) await sendCurrentPresence(d, username, contact);
  if (effect.cancelled) await sendUnavailable(d, username, contact);
}

/** A subscription stanza for the local user `to` (a bare JID) from `from` (made bare by the caller). */
export async function inboundSubscription(d: SubscriptionDeps, username: string, to: string, from: string, type: SubscriptionType, stanza: Element): Promise<void> {
  if (to === from) return;
  const normalised = withAttrs(stanza, { from, to });
  if (type === 'subscribe' && !(await d.userExists(username))) {
    await d.route(xml('presence', { type: 'unsubscribed', from: to, to: from }));
    return;
  }
  const effect = await d.serial.run(username, async () => {
    const pendingIn = await d.pending.has(username, from);
    const e = { deliver: false, autoReply: false, preApproved: false, lostFrom: false, store: false, unstore: false };
    await d.roster.modify(username, from, (cur) => {
      const s = stateOf(partsFrom(cur, pendingIn));
      if (type === 'subscribe') {
        // §3.1.3: already subscribed, so the sender's server is out of step: answer for the user.
        if (hasFrom(s)) {
          e.autoReply = true;
          return cur;
        }
        if (cur?.approved) {
          e.autoReply = e.preApproved = true;
          return withState(cur, from, OUTBOUND.subscribed[stateOf({ ...partsOf(s), pendingIn: true })]!);
        }
      }
      const row = INBOUND[type][s];
      e.deliver = row.deliver;
      if (!row.next) return cur;
      const nextIn = partsOf(row.next).pendingIn;
      e.store = nextIn && !pendingIn;
      e.unstore = !nextIn && pendingIn;
      e.lostFrom = hasFrom(s) && !hasFrom(row.next);
      return withState(cur, from, row.next);
    });
    if (e.store && !(await d.pending.add(username, from, normalised))) {
      d.log.warn({ username }, 'too many unanswered subscription requests; dropping one');
      e.deliver = false;
    }
    if (e.unstore) await d.pending.delete(username, from);
    return e;
  });
  if (effect.autoReply) await d.route(xml('presence', { type: 'subscribed', from: to, to: from }));
  if (effect.preApproved) await sendCurrentPresence(d, username, from);
  if (effect.lostFrom) await sendUnavailable(d, username, from);
  if (effect.deliver) for (const s of d.sessions.availableOf(username)) s.send(normalised);
}

/**
 * §2.5.2: removing a contact from the roster ends what subscriptions there were, both ways, and
 * answers a request the user had not answered.
 */
export async function rosterItemRemoved(d: SubscriptionDeps, userBare: string, username: string, contact: string, removed: RosterItem): Promise<void> {
  const pendingIn = await d.serial.run(username, async () => {
    const had = await d.pending.has(username, contact);
    if (had) await d.pending.delete(username, contact);
    return had;
  });
  const s = stateOf(partsFrom(removed, pendingIn));
  const p = partsOf(s);
  if (hasTo(s) || p.pendingOut) await d.route(xml('presence', { type: 'unsubscribe', from: userBare, to: contact }));
  if (hasFrom(s) || p.pendingIn) await d.route(xml('presence', { type: 'unsubscribed', from: userBare, to: contact }));
  if (hasFrom(s)) await sendUnavailable(d, username, contact);
}

/** Account deletion: requests nobody will answer now are denied. */
export async function denyAllPending(d: SubscriptionDeps, userBare: string, username: string): Promise<void> {
  const requests = await d.pending.all(username);
  await d.pending.deleteUser(username);
  for (const r of requests) await d.route(xml('presence', { type: 'unsubscribed', from: userBare, to: r.contact }));
}
