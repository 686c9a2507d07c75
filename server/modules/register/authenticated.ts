/**
 * jabber:iq:register from an authenticated user of this host (XEP-0077 §3.1 "already registered",
 * §3.2 cancellation, §3.3 password change), and in-band creation of other accounts by admins.
 *
 * A set naming the user's own account changes its password; naming another account it is a
 * request to create that account, which only an admin may make (and never for an existing name,
 * so nobody changes another user's password in-band). Everyone else gets not-allowed: XEP-0077
 * has no condition for a mismatched username, and the request is a registration they may not make.
 */
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import type { IqRequest } from '../../core/iq.js';
import { Jid, JidError, prepareLocal } from '../../core/jid.js';
import { createAccount, type CreateDeps, type RegistrationMode } from './create.js';
import { readSubmission, registeredInfo } from './form.js';

export interface AccountIqDeps extends CreateDeps {
  host: string;
  mode: RegistrationMode;
  instructions: string;
  /** Prepared bare JIDs of this host's admins. */
  admins: ReadonlySet<string>;
  /** §3.2: answers the request, then removes the account (which ends its sessions). */
  remove(req: IqRequest): Promise<true>;
}

function localUser(req: IqRequest, host: string): string {
  // Remote entities have no account here to inspect, change or cancel.
  if (req.from.domain !== host || !req.from.local) throw new StanzaError('not-allowed', 'only local accounts register here');
  return req.from.local;
}

/** The account a <username/> names: a localpart, or (in the changepassword form of §3.3) a bare JID. */
function namedAccount(raw: string, host: string): string {
  if (raw.includes('@')) {
    const jid = Jid.tryParse(raw);
    if (!jid || jid.domain !== host || jid.resource) throw new StanzaError('bad-request', 'the username names no account of this server');
    return jid.local;
  }
  try {
    return prepareLocal(raw);
  } catch (err) {
    if (err instanceof JidError) throw new StanzaError('not-acceptable', 'the username is not valid');
    throw err;
  }
}

export function registrationInfo(req: IqRequest, d: AccountIqDeps): Element {
  return registeredInfo(localUser(req, d.host), d.instructions);
}

export async function registrationSet(req: IqRequest, d: AccountIqDeps): Promise<true> {
  const own = localUser(req, d.host);
  const s = readSubmission(req.payload);
  if (s.remove) {
    if (s.others > 0) throw new StanzaError('bad-request', '<remove/> must be the only child of <query/>');
    return d.remove(req);
  }
  // §3.3: an empty password never replaces the existing one.
  if (!s.username || !s.password) throw new StanzaError('bad-request', 'a username and a new password are required');
  const named = namedAccount(s.username, d.host);
  if (named === own) {
    // §3.3: the password travels in the clear inside the stream; never over an unencrypted one.
    if (req.origin && !req.origin.secure) throw new StanzaError('not-authorized', 'change the password over an encrypted stream');
    await d.accounts().setPassword(own, s.password);
    return true;
  }
  const isAdmin = d.admins.has(req.from.bareString);
  if (!isAdmin || d.mode === 'closed') throw new StanzaError('not-allowed', 'only an admin may register other accounts');
  // The policy applies to the name as typed (the accounts service prepares it), unless it came as a JID.
  const requested = s.username.includes('@') ? named : s.username;
  await createAccount(d, requested, s.password, { address: req.origin?.remoteAddress ?? '', unlimited: true });
  return true;
}
