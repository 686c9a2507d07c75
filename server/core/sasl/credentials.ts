/**
 * Stored SCRAM credentials (RFC 5802 §3): only the salt, iteration count, StoredKey and ServerKey
 * are kept, never the password. PLAIN logins (RFC 4616) are verified against the same keys.
 */
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import saslprep from '@mongodb-js/saslprep';

export type ScramHash = 'SHA-1' | 'SHA-256';
/** All byte fields are base64. */
export interface ScramCredential { salt: string; iterations: number; storedKey: string; serverKey: string }
export type StoredCredentials = Partial<Record<ScramHash, ScramCredential>>;

/** RFC 7677 §4 asks for at least 4096 for SHA-256; we use the same count for SHA-1. */
export const DEFAULT_ITERATIONS = 4096;
const SALT_BYTES = 16;

const algo = (h: ScramHash): 'sha1' | 'sha256' => (h === 'SHA-1' ? 'sha1' : 'sha256');
export const hashSize = (h: ScramHash): number => (h === 'SHA-1' ? 20 : 32);

export function hmac(h: ScramHash, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(algo(h), key).update(data).digest();
}
export function digest(h: ScramHash, data: Buffer): Buffer {
  return createHash(algo(h)).update(data).digest();
}
/** Constant-time comparison that also accepts buffers of different lengths (then false). */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * RFC 5802 §2.2 Normalize(): SASLprep (RFC 4013) as a "stored string", so unassigned code points
 * are refused. Throws on prohibited input; callers turn that into a SASL failure.
 */
export function prepPassword(password: string): string {
  return saslprep(password);
}
/**
 * Usernames are SASLprep'ed as a "query" (RFC 5802 §5.1 for 'n='): unassigned code points are
 * allowed, since they only need to find (or not find) an account.
 */
export function prepUsername(username: string): string {
  return saslprep(username, { allowUnassigned: true });
}

function saltedPassword(h: ScramHash, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(prepPassword(password), salt, iterations, hashSize(h), algo(h));
}

function keysFrom(h: ScramHash, salted: Buffer): { storedKey: Buffer; serverKey: Buffer } {
  return { storedKey: digest(h, hmac(h, salted, 'Client Key')), serverKey: hmac(h, salted, 'Server Key') };
}

/** Throws (from SASLprep) when the password holds prohibited characters. */
export function deriveScramCredential(h: ScramHash, password: string, opts: { salt?: Buffer; iterations?: number } = {}): ScramCredential {
  const salt = opts.salt ?? randomBytes(SALT_BYTES);
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`invalid SCRAM iteration count ${iterations}`);
  const { storedKey, serverKey } = keysFrom(h, saltedPassword(h, password, salt, iterations));
  return { salt: salt.toString('base64'), iterations, storedKey: storedKey.toString('base64'), serverKey: serverKey.toString('base64') };
}

/** Both hashes, each with its own salt, so the stored SHA-1 and SHA-256 keys are unrelated. */
export function deriveAllCredentials(password: string, iterations = DEFAULT_ITERATIONS): StoredCredentials {
  return {
    'SHA-256': deriveScramCredential('SHA-256', password, { iterations }),
    'SHA-1': deriveScramCredential('SHA-1', password, { iterations }),
  };
}

const pbkdf2Async = promisify(pbkdf2);

/**
 * For PLAIN: recompute StoredKey from the password and compare. False for a password SASLprep
 * refuses. The PBKDF2 run (a few milliseconds at 4096 iterations) goes to libuv's thread pool:
 * on the event loop, a burst of logins would hold up every other stream's stanzas.
 */
export async function verifyPassword(cred: ScramCredential, h: ScramHash, password: string): Promise<boolean> {
  let prepared: string;
  try {
    prepared = prepPassword(password);
  } catch {
    return false;
  }
  const salted = await pbkdf2Async(prepared, Buffer.from(cred.salt, 'base64'), cred.iterations, hashSize(h), algo(h));
  return sameBytes(keysFrom(h, salted).storedKey, Buffer.from(cred.storedKey, 'base64'));
}

/** Process secret behind the decoys: stable within a run, unpredictable from outside. */
const DECOY_SECRET = randomBytes(32);

/**
 * Credentials for an account that does not exist (or lacks this hash). Deterministic per username
 * and hash, so asking twice gives the same salt, as for a real account, and shaped like a real
 * credential, so the exchange runs the same code and fails only at the proof (RFC 5802 §9).
 * No password can match: the keys are not derived from one.
 */
export function decoyCredential(h: ScramHash, username: string): ScramCredential {
  const mac = (label: string): Buffer => createHmac('sha256', DECOY_SECRET).update(`${label}\0${h}\0${username}`).digest();
  return {
    salt: mac('salt').subarray(0, SALT_BYTES).toString('base64'),
    iterations: DEFAULT_ITERATIONS,
    storedKey: mac('stored').subarray(0, hashSize(h)).toString('base64'),
    serverKey: mac('server').subarray(0, hashSize(h)).toString('base64'),
  };
}
