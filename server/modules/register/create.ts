/**
 * Account creation as XEP-0077 §3.1 asks for it, shared by the unauthenticated path and by admins
 * registering others: every field present (else not-acceptable, §3.1), the accounts service's
 * policy and conflict checks, and a per-address limit on how fast accounts appear.
 */
import type { Logger } from 'pino';
import type { AccountService } from '../../core/accounts.js';
import { StanzaError } from '../../core/errors.js';
import { addressKey, type RateLimit } from './rate-limit.js';

export type RegistrationMode = 'open' | 'closed' | 'admin';

export interface CreateDeps {
  accounts(): AccountService;
  limit: RateLimit;
  log: Logger;
}

export interface Requester {
  address: string;
  /** Loopback peers and admins are not rate-limited (benchmarks register thousands of users). */
  unlimited: boolean;
}

export async function createAccount(d: CreateDeps, username: string | undefined, password: string | undefined, who: Requester): Promise<void> {
  // §3.1: "If the requesting entity does not provide all of the requested information" (an empty
  // <password/> included) "the server MUST return a <not-acceptable/> error".
  if (!username || !password) throw new StanzaError('not-acceptable', 'a username and a password are required');
  const key = addressKey(who.address);
  // A temporary refusal: the client may try again later (RFC 6120 §8.3.3.18), as ejabberd answers.
  if (!who.unlimited && !d.limit.take(key)) throw new StanzaError('resource-constraint', 'too many accounts registered from this address; try again later', 'wait');
  try {
    await d.accounts().create(username, password);
  } catch (err) {
    if (!who.unlimited) d.limit.refund(key);
    throw err;
  }
  d.log.info({ user: username, ip: who.address }, 'account registered in-band');
}
