/**
 * PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd`, checked against the stored SCRAM keys.
 * Only ever offered over TLS (or on a loopback listener configured for plaintext).
 */
import { SaslFailure } from '../errors.js';
import { type ScramCredential, deriveScramCredential, prepPassword, verifyPassword } from './credentials.js';
import type { SaslContext, SaslMechanism } from './mechanism.js';

/** Verified against when the account does not exist, so both cases cost the same. */
let decoy: ScramCredential | undefined;

export function createPlain(ctx: SaslContext): SaslMechanism {
  return {
    name: 'PLAIN',
    async step(input) {
      const parts = input.toString('utf8').split('\0');
      if (parts.length !== 3) throw new SaslFailure('malformed-request');
      const [authzid, rawUser, password] = parts as [string, string, string];
      let username: string;
      try {
        username = prepPassword(rawUser);
        prepPassword(password);
      } catch {
        throw new SaslFailure('malformed-request', 'prohibited characters');
      }
      if (!username || !password) throw new SaslFailure('malformed-request');
      const creds = await ctx.lookup(username);
      const cred = creds?.['SHA-256'] ?? creds?.['SHA-1'];
      const hash = creds?.['SHA-256'] ? 'SHA-256' : 'SHA-1';
      decoy ??= deriveScramCredential('SHA-256', 'decoy');
      const ok = verifyPassword(cred ?? decoy, cred ? hash : 'SHA-256', password);
      if (!cred || !ok) throw new SaslFailure('not-authorized');
      return { done: { username, authzid: authzid || undefined } };
    },
  };
}
