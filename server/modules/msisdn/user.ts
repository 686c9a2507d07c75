/**
 * A user's own numbers, through IQs to their own account (Tern namespace, like urn:tern:directory:0):
 *   get <numbers xmlns='urn:tern:msisdn:0'/> → <numbers discoverable='…'><number verified='…'>+CC…</number>…</numbers>
 *   set <claim xmlns='urn:tern:msisdn:0'>number</claim>     → claimed, unverified (conflict if taken, not-acceptable if invalid)
 *   set <release xmlns='urn:tern:msisdn:0'>+CC…</release>   → removed (item-not-found if not theirs)
 *   set <numbers xmlns='urn:tern:msisdn:0' discoverable='true|false'/> → the privacy choice (seed 5.10)
 */
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { xml } from '../../core/stanza.js';
import type { MsisdnDirectory } from '../../../gateways/msisdn/directory.js';

export const NS_MSISDN = 'urn:tern:msisdn:0';

export async function numbersOf(dir: MsisdnDirectory, username: string): Promise<Element> {
  const list = await dir.numbers(username);
  return xml('numbers', { xmlns: NS_MSISDN, discoverable: String(await dir.discoverable(username)) },
    ...list.map((n) => xml('number', { verified: String(n.verified) }, n.e164)));
}

export function parseBool(v: string | undefined): boolean {
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new StanzaError('bad-request', 'discoverable must be true or false');
}

export function numberArg(payload: Element, normalise: (s: string) => string | undefined): string {
  const e164 = normalise(payload.getText());
  if (!e164) throw new StanzaError('not-acceptable', 'not a valid phone number');
  return e164;
}
