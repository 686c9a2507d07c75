/**
 * The `msisdn` service other modules (and the CLI) use: phone number ↔ account. `lookup` resolves
 * for others (verified, discoverable; then ENUM and the prefix table); the operator calls see
 * everything.
 */
import type { Jid } from '../../core/jid.js';
import type { NumberEntry } from '../../../gateways/msisdn/directory.js';

declare module '../../core/module.js' {
  interface Services { msisdn: MsisdnService }
}

export interface MsisdnService {
  /** Canonical +CC… form, or undefined for what is not a valid number (the host's default region applies). */
  normalise(input: string): string | undefined;
  /** The address behind a canonical number, as a lookup by a local user would find it. */
  lookup(e164: string): Promise<Jid | undefined>;
  /** The verified numbers of a local account. */
  reverse(username: string): Promise<string[]>;
  link(username: string, e164: string): Promise<void>;
  unlink(e164: string): Promise<string>;
  verify(e164: string): Promise<string>;
  show(username: string): Promise<{ numbers: NumberEntry[]; discoverable: boolean }>;
  owner(e164: string): Promise<{ username: string; verified: boolean } | undefined>;
}
