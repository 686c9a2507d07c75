/**
 * Registration before authentication (XEP-0077 §3.1, §3.1.1), answered for the stream layer,
 * which sends whatever stanza this returns: so every outcome, errors included, is a reply here.
 *
 * Refusals: creation closed on this host (closed, or only admins may) → not-allowed, the condition
 * XEP-0077 uses when no sender may perform an action (§3.2, §3.3); service-unavailable (§3.1) is
 * left to hosts without in-band registration at all, where the stream layer answers it. An IQ
 * addressed to some other entity → not-allowed as well: an unauthenticated stream only speaks
 * to its own host. A removal before authentication → unexpected-request (§3.2 table).
 */
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { errorReply, iqPayload, iqResult } from '../../core/stanza.js';
import { createAccount, type CreateDeps, type RegistrationMode } from './create.js';
import { readSubmission, registrationForm } from './form.js';

export interface PreAuthDeps extends CreateDeps {
  host: string;
  mode: RegistrationMode;
  instructions: string;
  isLoopback(address: string): boolean;
}

export interface UnauthenticatedStream { remoteAddress: string }

function addressedToHost(iq: Element, host: string): boolean {
  const to = iq.attrs.to;
  if (to === undefined || to === '') return true;
  const jid = Jid.tryParse(to);
  return jid !== undefined && jid.isDomain && jid.domain === host;
}

async function answer(iq: Element, stream: UnauthenticatedStream, d: PreAuthDeps): Promise<Element | true> {
  const type = iq.attrs.type;
  if (!iq.attrs.id || (type !== 'get' && type !== 'set')) throw new StanzaError('bad-request', 'an iq get or set with an id is expected');
  if (!addressedToHost(iq, d.host)) throw new StanzaError('not-allowed', 'authenticate before addressing anyone but this server');
  if (d.mode !== 'open') throw new StanzaError('not-allowed', 'accounts are not created in-band on this server');
  if (type === 'get') return registrationForm(d.instructions);
  const s = readSubmission(iqPayload(iq)!);
  if (s.remove) throw new StanzaError('unexpected-request', 'authenticate to remove an account');
  await createAccount(d, s.username, s.password, { address: stream.remoteAddress, unlimited: d.isLoopback(stream.remoteAddress) });
  return true;
}

export async function preAuthRegister(iq: Element, stream: UnauthenticatedStream, d: PreAuthDeps): Promise<Element> {
  try {
    const r = await answer(iq, stream, d);
    const reply = iqResult(iq, r === true ? undefined : r);
    // No 'from' on an unauthenticated stream: the reply comes from the host, to nobody in particular.
    delete reply.attrs.to;
    reply.attrs.from = d.host;
    return reply;
  } catch (err) {
    let e: StanzaError;
    if (err instanceof StanzaError) {
      e = err;
    } else {
      d.log.error({ err }, 'in-band registration failed');
      e = new StanzaError('internal-server-error', undefined, 'wait');
    }
    const reply = errorReply(iq, e);
    delete reply.attrs.to;
    reply.attrs.from = d.host;
    return reply;
  }
}
