/**
 * Who may learn about an account (XEP-0030 §8, XEP-0012 §4, RFC 6121 §8.5.1): the account itself,
 * its own server, and contacts the account shares its presence with (subscription 'from' or
 * 'both' on the account's side). To anyone else a missing account and an existing one must look
 * the same, so this never consults whether the account exists.
 */
import type { Jid } from '../../core/jid.js';

export interface RosterLookup {
  item(username: string, contact: string): Promise<{ subscription: 'none' | 'to' | 'from' | 'both' } | undefined>;
}

export async function mayViewAccount(requester: Jid, username: string, host: string, roster: RosterLookup | undefined): Promise<boolean> {
  if (requester.domain === host && (requester.local === username || requester.local === '')) return true;
  if (!roster) return false;
  const item = await roster.item(username, requester.bareString);
  return item?.subscription === 'from' || item?.subscription === 'both';
}
