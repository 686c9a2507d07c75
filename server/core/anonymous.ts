/**
 * The service the stream layer needs for SASL ANONYMOUS (RFC 4505, XEP-0175); the `anonymous`
 * module provides it when hosts[].anonymous_login.enabled is set.
 */
export interface AnonymousLoginService {
  /** Counts a login from this address; false when it is over hosts[].anonymous_login.max_per_ip. */
  admit(remoteAddress: string): boolean;
  /** A fresh, unguessable localpart that is no account and no live anonymous session; reserved until release. */
  allocate(): Promise<string>;
  /** Whether this localpart belongs to a live (or being set up) anonymous session. */
  inUse(username: string): boolean;
  /** The session is gone (after session/closed): everything stored under the localpart is purged and the name freed. */
  release(username: string): Promise<void>;
}

declare module './module.js' {
  interface Services { anonymousLogin: AnonymousLoginService }
}
