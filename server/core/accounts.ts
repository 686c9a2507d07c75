/**
 * The services the stream layer needs from modules: accounts (for SASL) and in-band registration
 * before authentication (XEP-0077 §3.1). The `accounts` and `register` modules provide them.
 */
import type { Element } from '@xmpp/xml';
import type { StoredCredentials } from './sasl/credentials.js';
import type { Session } from './sessions.js';

export interface AccountService {
  /** An account, or a live SASL ANONYMOUS session's localpart (credentials() tells them apart). */
  exists(username: string): Promise<boolean>;
  /** SCRAM credentials; undefined when there is no such account. */
  credentials(username: string): Promise<StoredCredentials | undefined>;
  /** Throws StanzaError('conflict') if the account exists, ('not-acceptable') if policy refuses it. */
  create(username: string, password: string): Promise<void>;
  setPassword(username: string, password: string): Promise<void>;
  /** Removes the account and, through the user/deleting event, everything modules keep for it. */
  delete(username: string): Promise<void>;
  users(): AsyncIterable<string>;
}

export interface RegistrationService {
  /** Whether to advertise in-band registration on this (unauthenticated) stream. */
  offeredTo(session: { secure: boolean; remoteAddress: string }): boolean;
  /** Answers a jabber:iq:register IQ from a stream that has not authenticated yet. */
  preAuth(iq: Element, session: { secure: boolean; remoteAddress: string; host: string }): Promise<Element>;
}

/** Localparts that are not accounts but must not become ones (aliases, PP2-24): creating one is a conflict. */
export interface ReservedNames {
  reserved(username: string): boolean | Promise<boolean>;
}

declare module './module.js' {
  interface Services {
    accounts: AccountService;
    registration: RegistrationService;
    reservedNames: ReservedNames;
  }
}

export type { Session };
