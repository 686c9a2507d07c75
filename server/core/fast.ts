/**
 * The service the stream layer needs for XEP-0484 FAST tokens; the `fast` module provides it and
 * owns the storage. Tokens are per account and per client (the SASL2 <user-agent id/>).
 */
import type { FastMechanismName } from './sasl/ht.js';

/** A stored token as a mechanism can use it: `key` is the HMAC key (SHA-256 of the token, see ht.ts). */
export interface FastCandidate { id: string; key: Buffer }

export interface IssuedToken { token: string; expiry: Date }

export interface FastService {
  /** Live tokens of this account and client bound to `mechanism`. */
  candidates(username: string, client: string, mechanism: FastMechanismName): Promise<FastCandidate[]>;
  /**
   * After a successful FAST authentication with token `id` (XEP-0484 §3.5/§3.6): tokens of this
   * client older than it are dropped; with `invalidate` it is dropped itself. Returns whether the
   * server wants to rotate it (close to expiry).
   */
  used(username: string, client: string, id: string, opts: { invalidate: boolean }): Promise<{ rotate: boolean }>;
  /** A new token for this client, bound to `mechanism`; other unused ones of the client are dropped, the one in use is kept. */
  issue(username: string, client: string, mechanism: FastMechanismName, keep?: string): Promise<IssuedToken>;
}

declare module './module.js' {
  interface Services { fast: FastService }
}
