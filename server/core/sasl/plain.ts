/**
 * PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd`, checked against the stored SCRAM keys.
 * Only ever offered over TLS (or on a loopback listener configured for plaintext); that is the
 * stream's decision, not this file's.
 */
import { SaslFailure } from '../errors.js';
import { decoyCredential, prepPassword, prepUsername, type ScramHash, verifyPassword } from './credentials.js';
import type { SaslContext, SaslMechanism } from './mechanism.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function createPlain(ctx: SaslContext): SaslMechanism {
  let used = false;
  return {
    name: 'PLAIN',
    async step(input) {
      if (used) throw new SaslFailure('malformed-request', 'the exchange is over');
      used = true;
      let parts: string[];
      try {
        parts = utf8.decode(input).split('\0');
      } catch {
        throw new SaslFailure('malformed-request', 'not UTF-8');
      }
      if (parts.length !== 3) throw new SaslFailure('malformed-request');
      const [authzid, authcid, password] = parts as [string, string, string];
      let username: string;
      let prepared: string;
      try {
        username = prepUsername(authcid);
        // Checked before the lookup so a password SASLprep refuses is a client error, whoever the user is.
        prepared = prepPassword(password);
      } catch {
        throw new SaslFailure('malformed-request', 'prohibited characters');
      }
      if (!username || !prepared) throw new SaslFailure('malformed-request', 'empty username or password');

      const creds = await ctx.lookup(username);
      const hash: ScramHash = creds?.['SHA-256'] ? 'SHA-256' : 'SHA-1';
      const cred = creds?.[hash];
      // An unknown user costs the same PBKDF2 run as a known one, so timing does not tell them apart.
      const ok = await verifyPassword(cred ?? decoyCredential(hash, username), hash, password);
      if (!ok || !cred) throw new SaslFailure('not-authorized');
      // The authzid is returned as sent; the stream decides whether this user may act as it.
      return { done: { username, authzid: authzid || undefined } };
    },
  };
}
