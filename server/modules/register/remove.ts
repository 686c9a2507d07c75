/**
 * XEP-0077 §3.2, a user cancelling their own registration: the result, then a <not-authorized/>
 * stream error on every session of the account, then the removal (the accounts service purges
 * what every module keeps through user/deleting).
 *
 * The result goes out before the removal because the removal ends the stream that would carry it:
 * it is written to the requesting session directly, so it precedes the stream error whatever the
 * timing. The dispatcher's own reply then finds no session and, being a result, is dropped. A
 * removal that fails after the result can only be logged.
 */
import type { Logger } from 'pino';
import type { AccountService } from '../../core/accounts.js';
import { StreamError } from '../../core/errors.js';
import type { IqRequest } from '../../core/iq.js';
import type { SessionRegistry } from '../../core/sessions.js';
import { iqResult } from '../../core/stanza.js';

export interface RemovalDeps {
  sessions: SessionRegistry;
  accounts(): AccountService;
  log: Logger;
}

export async function removeOwnAccount(req: IqRequest, d: RemovalDeps): Promise<true> {
  const username = req.from.local;
  if (req.origin) {
    const result = iqResult(req.stanza);
    result.attrs.from = req.stanza.attrs.to ?? req.to.toString();
    req.origin.send(result);
  }
  for (const s of d.sessions.sessionsOf(username)) s.close(new StreamError('not-authorized', 'the account has been removed'));
  try {
    await d.accounts().delete(username);
    d.log.info({ user: username }, 'account removed in-band');
  } catch (err) {
    d.log.error({ err, user: username }, 'in-band account removal failed after its result was sent');
  }
  return true;
}
