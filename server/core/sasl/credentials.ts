/**
 * Stored SCRAM credentials (RFC 5802 §3): only the salt, iteration count, StoredKey and ServerKey
 * are kept — never the password. PLAIN logins are verified against the same keys.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import saslprep from '@mongodb-js/saslprep';

export type ScramHash = 'SHA-1' | 'SHA-256';
export interface ScramCredential { salt: string; iterations: number; storedKey: string; serverKey: string }
export type StoredCredentials = Partial<Record<ScramHash, ScramCredential>>;

export const DEFAULT_ITERATIONS = 4096;
export const HASHES: readonly ScramHash[] = ['SHA-256', 'SHA-1'];

export const nodeAlgo = (h: ScramHash): 'sha1' | 'sha256' => (h === 'SHA-1' ? 'sha1' : 'sha256');
const size = (h: ScramHash): number => (h === 'SHA-1' ? 20 : 32);

export function hmac(h: ScramHash, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(nodeAlgo(h), key).update(data).digest();
}
export function digest(h: ScramHash, data: Buffer): Buffer {
  return createHash(nodeAlgo(h)).update(data).digest();
}

/** RFC 4013 SASLprep; throws on prohibited characters (the caller turns that into a failure). */
export function prepPassword(password: string): string {
  return saslprep(password);
}

export function saltedPassword(h: ScramHash, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(prepPassword(password), salt, iterations, size(h), nodeAlgo(h));
}

export function deriveScramCredential(h: ScramHash, password: string, opts: { salt?: Buffer; iterations?: number } = {}): ScramCredential {
  const salt = opts.salt ?? randomBytes(16);
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  const salted = saltedPassword(h, password, salt, iterations);
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: digest(h, hmac(h, salted, 'Client Key')).toString('base64'),
    serverKey: hmac(h, salted, 'Server Key').toString('base64'),
  };
}

export function deriveAllCredentials(password: string, iterations = DEFAULT_ITERATIONS): StoredCredentials {
  return { 'SHA-256': deriveScramCredential('SHA-256', password, { iterations }), 'SHA-1': deriveScramCredential('SHA-1', password, { iterations }) };
}

export function verifyPassword(cred: ScramCredential, h: ScramHash, password: string): boolean {
  let salted: Buffer;
  try {
    salted = saltedPassword(h, password, Buffer.from(cred.salt, 'base64'), cred.iterations);
  } catch {
    return false;
  }
  const stored = digest(h, hmac(h, salted, 'Client Key'));
  const expected = Buffer.from(cred.storedKey, 'base64');
  return stored.length === expected.length && timingSafeEqual(stored, expected);
}
