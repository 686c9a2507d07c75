/**
 * Message delivery on the recipient's host, RFC 6121 §8.5:
 *   §8.5.1     no such account → service-unavailable (the RFC allows silence; the seed's MT-2 wants
 *              a non-delivery notice)
 *   §8.5.2.1.1 bare JID: chat/normal → the highest non-negative priority resource(s); headline → every
 *              non-negative resource; groupchat → service-unavailable; error → dropped
 *   §8.5.2.2.1 nobody to take it: chat/normal → offline storage (XEP-0160), headline/error → dropped
 *   §8.5.3.1   full JID of a connected resource (available or not) → that resource, whatever the type
 *   §8.5.3.2.1 full JID with no such resource: chat → as if to the bare JID; normal, groupchat and
 *              headline → service-unavailable; error → dropped
 *
 * Order (the seed's MT-3): the router hands us one stanza of a session at a time and waits for the
 * promise we return, so one sender's messages reach us in order. What could still reorder them is
 * offline storage: a message stored a moment ago must reach the user before a later one delivered
 * live. So every delivery to a user first waits until the offline service says nothing stored can
 * be overtaken (`whenSettled`), and the choice between live and stored is made synchronously after.
 */
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { HANDLED, type HookResult, type StanzaEvent } from '../../core/events.js';
import type { Services } from '../../core/module.js';
import type { Session, SessionRegistry } from '../../core/sessions.js';
import { bareTargets, messageType, offlineDecision } from './rules.js';

type Offline = Services['offline'];
type Result = HookResult | Promise<HookResult>;

export interface DeliveryDeps {
  sessions: SessionRegistry;
  /** Whether the account exists; may answer from a cache. */
  accountExists(username: string): boolean | Promise<boolean>;
  /** Looked up per message: the offline module may be disabled or unloaded. */
  offline(): Offline | undefined;
  /** Told, synchronously, which sessions got a message live (carbons build on it). */
  delivered?(stanza: Element, username: string, sessions: readonly Session[]): void;
}

export interface Delivery {
  bare(ev: StanzaEvent): Result;
  full(ev: StanzaEvent): Result;
  host(ev: StanzaEvent): Result;
}

const unavailable = () => new StanzaError('service-unavailable');

export function createDelivery(d: DeliveryDeps): Delivery {
  /** Runs `next` once stored messages for `username` can no longer be overtaken. */
  const settled = (username: string, next: () => Result): Result => {
    const wait = d.offline()?.whenSettled(username);
    return wait ? wait.then(() => settled(username, next)) : next();
  };

  const withAccount = (username: string, next: () => Result): Result => {
    // Bound sessions prove the account exists without a storage round trip.
    if (d.sessions.resourcesOf(username)) return next();
    const known = d.accountExists(username);
    if (known === true) return next();
    if (known === false) throw unavailable();
    return known.then((ok) => {
      if (!ok) throw unavailable();
      return next();
    });
  };

  /** Chat, normal and headline for the account as a whole (§8.5.2). */
  const toAccount = (stanza: Element, username: string, type: 'chat' | 'normal' | 'headline'): Result =>
    withAccount(username, () => settled(username, () => {
      const targets = bareTargets(d.sessions.availableOf(username), type);
      if (targets.length > 0) {
        for (const s of targets) s.send(stanza);
        d.delivered?.(stanza, username, targets);
        return HANDLED;
      }
      if (type === 'headline') return HANDLED;
      const decision = offlineDecision(stanza);
      if (decision === 'drop') return HANDLED;
      const offline = d.offline();
      if (decision === 'reject' || !offline) throw unavailable();
      return offline.store(username, stanza).then(() => HANDLED);
    }));

  return {
    bare(ev) {
      const type = messageType(ev.stanza);
      if (type === 'error') return HANDLED;
      if (type === 'groupchat') throw unavailable();
      return toAccount(ev.stanza, ev.to.local, type);
    },

    full(ev) {
      const username = ev.to.local;
      // The bound session is looked up after waiting: it may have gone in the meantime.
      return settled(username, () => {
        const session = d.sessions.byFull(ev.to);
        if (session) {
          session.send(ev.stanza);
          d.delivered?.(ev.stanza, username, [session]);
          return HANDLED;
        }
        const type = messageType(ev.stanza);
        if (type === 'error') return HANDLED;
        if (type === 'chat') return toAccount(ev.stanza, username, 'chat');
        throw unavailable();
      });
    },

    /**
     * Messages to the domain itself that no feature took (RFC 6120 §10.5.1 leaves them to the
     * server): errors are never answered (RFC 6120 §8.3.1), the rest get service-unavailable.
     */
    host(ev) {
      if (messageType(ev.stanza) === 'error') return HANDLED;
      throw unavailable();
    },
  };
}
