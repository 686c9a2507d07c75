/**
 * RFC 6121 Appendix A: the nine subscription states a user's server keeps for one contact, and
 * how each subscription stanza moves them — on the sender's server (A.2, outbound) and on the
 * recipient's server (A.3, inbound). Pure tables, so the tests can hold them against the RFC row
 * by row.
 *
 * A state is the roster item's 'subscription' and 'ask' plus "pending in", which is not part of
 * the roster: the contact's server keeps an unanswered request outside it (A.1: no roster item is
 * pushed for a request the user has not approved).
 */

export type SubState =
  | 'None' | 'None + Pending Out' | 'None + Pending In' | 'None + Pending Out+In'
  | 'To' | 'To + Pending In' | 'From' | 'From + Pending Out' | 'Both';

export type SubscriptionType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';
export const SUBSCRIPTION_TYPES: ReadonlySet<string> = new Set<SubscriptionType>(['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']);

export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface Parts {
  subscription: Subscription;
  pendingOut: boolean;
  pendingIn: boolean;
}

const PARTS: Record<SubState, Parts> = {
  'None': { subscription: 'none', pendingOut: false, pendingIn: false },
  'None + Pending Out': { subscription: 'none', pendingOut: true, pendingIn: false },
  'None + Pending In': { subscription: 'none', pendingOut: false, pendingIn: true },
  'None + Pending Out+In': { subscription: 'none', pendingOut: true, pendingIn: true },
  'To': { subscription: 'to', pendingOut: false, pendingIn: false },
  'To + Pending In': { subscription: 'to', pendingOut: false, pendingIn: true },
  'From': { subscription: 'from', pendingOut: false, pendingIn: false },
  'From + Pending Out': { subscription: 'from', pendingOut: true, pendingIn: false },
  'Both': { subscription: 'both', pendingOut: false, pendingIn: false },
};

export const ALL_STATES = Object.keys(PARTS) as SubState[];

export function partsOf(s: SubState): Parts {
  return PARTS[s];
}

/** A pending flag in the direction that already has a subscription means nothing and is dropped. */
export function stateOf(p: Parts): SubState {
  switch (p.subscription) {
    case 'both': return 'Both';
    case 'to': return p.pendingIn ? 'To + Pending In' : 'To';
    case 'from': return p.pendingOut ? 'From + Pending Out' : 'From';
    default:
      if (p.pendingOut) return p.pendingIn ? 'None + Pending Out+In' : 'None + Pending Out';
      return p.pendingIn ? 'None + Pending In' : 'None';
  }
}

/** The contact receives the user's presence. */
export const hasFrom = (s: SubState): boolean => s === 'From' || s === 'From + Pending Out' || s === 'Both';
/** The user receives the contact's presence. */
export const hasTo = (s: SubState): boolean => s === 'To' || s === 'To + Pending In' || s === 'Both';

type Row<T> = Record<SubState, T>;

/**
 * A.2: the user's server, on a subscription stanza from the user. undefined: no state change.
 * subscribe, unsubscribe and unsubscribed are routed in every state (§3.1.2, §3.3.2, §3.2.2: the
 * contact's server may be out of step and needs them to resynchronise); subscribed only when it
 * approves a pending request (§3.1.5), otherwise it is a pre-approval (§3.4) or nothing.
 */
export const OUTBOUND: Record<SubscriptionType, Row<SubState | undefined>> = {
  subscribe: {
    'None': 'None + Pending Out',
    'None + Pending Out': undefined,
    'None + Pending In': 'None + Pending Out+In',
    'None + Pending Out+In': undefined,
    'To': undefined,
    'To + Pending In': undefined,
    'From': 'From + Pending Out',
    'From + Pending Out': undefined,
    'Both': undefined,
  },
  unsubscribe: {
    'None': undefined,
    'None + Pending Out': 'None',
    'None + Pending In': undefined,
    'None + Pending Out+In': 'None + Pending In',
    'To': 'None',
    'To + Pending In': 'None + Pending In',
    'From': undefined,
    'From + Pending Out': 'From',
    'Both': 'From',
  },
  subscribed: {
    'None': undefined,
    'None + Pending Out': undefined,
    'None + Pending In': 'From',
    'None + Pending Out+In': 'From + Pending Out',
    'To': undefined,
    'To + Pending In': 'Both',
    'From': undefined,
    'From + Pending Out': undefined,
    'Both': undefined,
  },
  unsubscribed: {
    'None': undefined,
    'None + Pending Out': undefined,
    'None + Pending In': 'None',
    'None + Pending Out+In': 'None + Pending Out',
    'To': undefined,
    'To + Pending In': 'To',
    'From': 'None',
    'From + Pending Out': 'None + Pending Out',
    'Both': 'To',
  },
};

/** States in which an outbound "subscribed" is a pre-approval (§3.4.1). */
export const PRE_APPROVABLE: ReadonlySet<SubState> = new Set<SubState>(['None', 'None + Pending Out', 'To']);

export interface Inbound { deliver: boolean; next?: SubState }
const no: Inbound = { deliver: false };

/**
 * A.3: the contact's server, on a subscription stanza for the contact. A "subscribe" in a state
 * where the sender already has a subscription is not delivered but answered with "subscribed" on
 * the contact's behalf (§3.1.3); the caller does that.
 */
export const INBOUND: Record<SubscriptionType, Row<Inbound>> = {
  subscribe: {
    'None': { deliver: true, next: 'None + Pending In' },
    'None + Pending Out': { deliver: true, next: 'None + Pending Out+In' },
    'None + Pending In': no,
    'None + Pending Out+In': no,
    'To': { deliver: true, next: 'To + Pending In' },
    'To + Pending In': no,
    'From': no,
    'From + Pending Out': no,
    'Both': no,
  },
  unsubscribe: {
    'None': no,
    'None + Pending Out': no,
    'None + Pending In': { deliver: true, next: 'None' },
    'None + Pending Out+In': { deliver: true, next: 'None + Pending Out' },
    'To': no,
    'To + Pending In': { deliver: true, next: 'To' },
    'From': { deliver: true, next: 'None' },
    'From + Pending Out': { deliver: true, next: 'None + Pending Out' },
    'Both': { deliver: true, next: 'To' },
  },
  subscribed: {
    'None': no,
    'None + Pending Out': { deliver: true, next: 'To' },
    'None + Pending In': no,
    'None + Pending Out+In': { deliver: true, next: 'To + Pending In' },
    'To': no,
    'To + Pending In': no,
    'From': no,
    'From + Pending Out': { deliver: true, next: 'Both' },
    'Both': no,
  },
  unsubscribed: {
    'None': no,
    'None + Pending Out': { deliver: true, next: 'None' },
    'None + Pending In': no,
    'None + Pending Out+In': { deliver: true, next: 'None + Pending In' },
    'To': { deliver: true, next: 'None' },
    'To + Pending In': { deliver: true, next: 'None + Pending In' },
    'From': no,
    'From + Pending Out': { deliver: true, next: 'From' },
    'Both': { deliver: true, next: 'From' },
  },
};
