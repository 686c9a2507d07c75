/**
 * The Hashed Token mechanisms (draft-schmaus-kitten-sasl-ht-08, as XEP-0484 FAST uses them):
 * HT-SHA-256-NONE, -ENDP (tls-server-end-point, RFC 5929) and -EXPR (tls-exporter, RFC 9266).
 * One round trip: the client sends `authcid NUL HMAC(token, "Initiator" || cb-data)` and the
 * server answers, in the success data, `HMAC(token, "Responder" || cb-data)`.
 *
 * Tokens are never stored: FAST tokens are issued longer than SHA-256's 64-byte block, and
 * HMAC (RFC 2104 §2) hashes such a key before use, so HMAC(token, m) = HMAC(SHA-256(token), m)
 * and the store keeps only SHA-256(token). (Any HT verifier can compute the proof, so the digest
 * still deserves the care of a credential; it just is not the token a client holds.)
 */
import { createHash, createHmac } from 'node:crypto';
import { SaslFailure } from '../errors.js';
import { prepUsername, sameBytes } from './credentials.js';
import type { ChannelBindingType, SaslContext, SaslMechanism } from './mechanism.js';

export const FAST_MECHANISM_NAMES = ['HT-SHA-256-EXPR', 'HT-SHA-256-ENDP', 'HT-SHA-256-NONE'] as const;
export type FastMechanismName = (typeof FAST_MECHANISM_NAMES)[number];

/** The channel binding each mechanism needs (undefined: none). */
export const HT_BINDING: Record<FastMechanismName, ChannelBindingType | undefined> = {
  'HT-SHA-256-EXPR': 'tls-exporter',
  'HT-SHA-256-ENDP': 'tls-server-end-point',
  'HT-SHA-256-NONE': undefined,
};

/** Issued tokens are longer than this (the HMAC block size), see the header. */
export const HMAC_BLOCK = 64;

export function tokenKey(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function htProof(key: Buffer, label: 'Initiator' | 'Responder', cbData: Buffer): Buffer {
  return createHmac('sha256', key).update(label).update(cbData).digest();
}

export interface HtContext extends SaslContext {
  /** Live tokens for this user bound to this mechanism (empty for an unknown user). May throw a SaslFailure. */
  tokens(username: string, mechanism: FastMechanismName): Promise<Array<{ id: string; key: Buffer }>>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function createHt(name: FastMechanismName, ctx: HtContext): SaslMechanism {
  let used = false;
  return {
    name,
    async step(input) {
      if (used) throw new SaslFailure('malformed-request', 'the exchange is over');
      used = true;
      const nul = input.indexOf(0);
      if (nul <= 0 || input.length - nul - 1 !== 32) throw new SaslFailure('malformed-request');
      let username: string;
      try {
        username = prepUsername(utf8.decode(input.subarray(0, nul)));
      } catch {
        throw new SaslFailure('malformed-request', 'bad username');
      }
      const proof = input.subarray(nul + 1);
      const binding = HT_BINDING[name];
      let cbData: Buffer = Buffer.alloc(0);
      if (binding) {
        const data = ctx.channelBinding?.(binding);
        // Offered only where the data exists; asked for anyway, it cannot be checked.
        if (!data) throw new SaslFailure('not-authorized', `channel binding type ${binding} is not supported`);
        cbData = data;
      }
      for (const t of await ctx.tokens(username, name)) {
        if (sameBytes(htProof(t.key, 'Initiator', cbData), proof)) {
          return { done: { username, additionalData: htProof(t.key, 'Responder', cbData), token: t.id } };
        }
      }
      throw new SaslFailure('not-authorized');
    },
  };
}
