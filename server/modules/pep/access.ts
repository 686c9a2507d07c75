/**
 * Who may see a node's items (XEP-0060 §4.5 access models, as PEP uses them, XEP-0163 §4.3):
 * the owner always; 'open' anyone; 'presence' contacts with a subscription to the owner's presence
 * ('from' or 'both' in the owner's roster); 'roster' those of them in an allowed roster group;
 * 'whitelist' only the owner here (PEP has no affiliation management).
 * The refusals are those of XEP-0060 §6.5.9.2–§6.5.9.4 (and §6.1.3.x for subscriptions).
 */
import { StanzaError } from '../../core/errors.js';
import type { Jid } from '../../core/jid.js';
import { type NodeConfig, NS_PUBSUB_ERRORS } from './types.js';

export interface RosterLookup {
  item(username: string, contact: string): Promise<{ subscription: 'none' | 'to' | 'from' | 'both'; groups: readonly string[] } | undefined>;
}

export const isOwner = (requester: Jid, owner: string, host: string): boolean => requester.domain === host && requester.local === owner;

/** undefined: allowed; else the error to answer with. */
export async function accessDenied(requester: Jid, owner: string, host: string, c: NodeConfig, roster: RosterLookup | undefined): Promise<StanzaError | undefined> {
  if (isOwner(requester, owner, host) || c.accessModel === 'open') return undefined;
  if (c.accessModel === 'whitelist') return new StanzaError('not-allowed', undefined, 'cancel', { name: 'closed-node', xmlns: NS_PUBSUB_ERRORS });
  const item = await roster?.item(owner, requester.bareString);
  const subscribed = item?.subscription === 'from' || item?.subscription === 'both';
  if (c.accessModel === 'presence') {
    return subscribed ? undefined : new StanzaError('not-authorized', undefined, 'auth', { name: 'presence-subscription-required', xmlns: NS_PUBSUB_ERRORS });
  }
  const inGroup = subscribed && item!.groups.some((g) => c.rosterGroups.includes(g));
  return inGroup ? undefined : new StanzaError('not-authorized', undefined, 'auth', { name: 'not-in-roster-group', xmlns: NS_PUBSUB_ERRORS });
}
