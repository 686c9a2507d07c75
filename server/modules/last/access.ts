/**
 * XEP-0012 §4 and §7: last activity only to those allowed to see the account's presence — the
 * account itself, its server, and contacts it shares presence with (subscription 'from' or
 * 'both' on its side). The answer never depends on whether the account exists, so a stranger
 * cannot use it to learn who has an account. (The disco module applies the same rule; modules
 * do not share files.)
 */
import type { Jid } from '../../core/jid.js';

export interface RosterLookup {
  item(username: string, contact: string): Promise<{ subscription: 'none' | 'to' | 'from' | 'both' } | undefined>;
}

export async function maySeePresence(requester: Jid, username: string, host: string, roster: RosterLookup | undefined): Promise<boolean> {
  if (requester.domain === host && (requester.local === username || requester.local === '')) return true;
  if (!roster) return false;
  const item = await roster.item(username, requester.bareString);
  return item?.subscription === 'from' || item?.subscription === 'both';
}
