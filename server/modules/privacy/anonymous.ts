/**
 * Anonymous senders (the seed's PP-22/PP-23, 3GPP IM 6.6): a sender asks to hide its address by
 * putting <anonymous xmlns='urn:x-tern:anonymous:0'/> in a message. It is delivered only if
 *   - the host offers it (privacy.anonymous_messages, off by default: PP-23 makes it a provider
 *     and legislation matter), and the recipient is a user of the same host,
 *   - the recipient accepts anonymous messages (their privacy setting), does not refuse all
 *     messages, and does not block the sender;
 * otherwise the sender gets <not-allowed/> (RFC 6120 §8.3.3.10: the action is not allowed for the
 * sender by policy), the same whether or not the recipient exists.
 * Delivered, it comes from an alias on the host, `anon-<16 base32 characters>@host`, the same for
 * a sender and recipient pair (an HMAC under a per-host secret), with the marker kept so the
 * recipient's client can show it as anonymous, and any XEP-0172 nickname removed. Messages to the
 * alias from that recipient, and only from them, reach the sender's bare JID (with the recipient's
 * address, which the sender knew already); anyone else gets service-unavailable.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { KeyValueStore } from '../../../storage/types.js';
import { StanzaError } from '../../core/errors.js';
import { Element as El } from '../../core/stanza.js';

export const NS_ANONYMOUS = 'urn:x-tern:anonymous:0';
const NS_NICK = 'http://jabber.org/protocol/nick';
export const ALIAS_PREFIX = 'anon-';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

export interface AliasRecord { sender: string; recipient: string }

export const notAllowed = () => new StanzaError('not-allowed');

export function isAnonymous(stanza: Element): boolean {
  return stanza.getChild('anonymous', NS_ANONYMOUS) !== undefined;
}

function base32(buf: Buffer, chars: number): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of buf) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += BASE32[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** The copy the recipient gets: from the alias, without a nickname. */
export function anonymised(stanza: Element, alias: string): Element {
  const copy = new El(stanza.name, { ...stanza.attrs, from: alias });
  copy.children = stanza.children.filter((c) => typeof c === 'string' || !(c.name === 'nick' && c.attrs.xmlns === NS_NICK));
  return copy;
}

export function createAliases(secrets: KeyValueStore<string>, records: KeyValueStore<AliasRecord>, host: string) {
  let secret: Promise<string> | undefined;
  const key = () => (secret ??= secrets.get('').then(async (s) => {
    if (s) return s;
    const fresh = randomBytes(32).toString('base64');
    await secrets.set('', fresh);
    return fresh;
  }));
  return {
    /** The alias JID for a sender and recipient pair (bare JIDs), recorded for replies. */
    async aliasFor(sender: string, recipient: string): Promise<string> {
      const mac = createHmac('sha256', await key()).update(`${sender}\n${recipient}`).digest();
      const local = ALIAS_PREFIX + base32(mac, 16);
      const known = await records.get(local);
      if (!known) await records.set(local, { sender, recipient });
      return `${local}@${host}`;
    },
    resolve: (local: string): Promise<AliasRecord | undefined> => records.get(local),
  };
}
