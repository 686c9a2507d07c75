/**
 * The server side of SASL mechanisms (RFC 4422), independent of the stream: a mechanism takes the
 * client's messages and returns challenges until it is done, or throws a SaslFailure.
 */
import { createAnonymous } from './anonymous.js';
import { createPlain } from './plain.js';
import { createScram } from './scram.js';
import type { StoredCredentials } from './credentials.js';

// Defined next to the code that throws it (no import cycle); the stream imports it from here.
export { ChannelBindingUnsupported } from './scram.js';

export type ChannelBindingType = 'tls-exporter' | 'tls-server-end-point';

export interface SaslContext {
  /** Credentials for a (SASLprep'ed) username; undefined when there is no such account. May throw a SaslFailure. */
  lookup(username: string): Promise<StoredCredentials | undefined>;
  /** Channel-binding data of the TLS connection; undefined when not available. */
  channelBinding?(type: ChannelBindingType): Buffer | undefined;
  /** Channel-binding types this connection supports (advertised with XEP-0440 elsewhere); empty without TLS. */
  channelBindingTypes: ReadonlyArray<ChannelBindingType>;
  /** Whether a -PLUS mechanism was offered on this stream (RFC 5802 §6: the 'y' flag then means a downgrade). */
  plusAdvertised: boolean;
  /** ANONYMOUS (RFC 4505): a fresh localpart that is no account and no other session's; may throw a SaslFailure. */
  anonymous?(): Promise<string>;
}

/** additionalData goes into <success/> (for SCRAM, the server-final-message `v=…`). */
export interface SaslResult {
  username: string; authzid?: string; additionalData?: Buffer;
  /** Set by the HT mechanisms: the id of the FAST token that matched. */
  token?: string;
  /** Set by ANONYMOUS: the username was made up by the server for this session only. */
  anonymous?: boolean;
}
export interface SaslStep { challenge?: Buffer; done?: SaslResult }
export interface SaslMechanism { readonly name: string; step(input: Buffer): Promise<SaslStep> }
export type SaslMechanismFactory = (ctx: SaslContext) => SaslMechanism;

export const MECHANISMS: Record<string, SaslMechanismFactory> = {
  'SCRAM-SHA-256-PLUS': (ctx) => createScram('SHA-256', true, ctx),
  'SCRAM-SHA-1-PLUS': (ctx) => createScram('SHA-1', true, ctx),
  'SCRAM-SHA-256': (ctx) => createScram('SHA-256', false, ctx),
  'SCRAM-SHA-1': (ctx) => createScram('SHA-1', false, ctx),
  PLAIN: (ctx) => createPlain(ctx),
  // Not in sasl.mechanisms: the stream offers it only where hosts[].anonymous_login.enabled says so.
  ANONYMOUS: (ctx) => createAnonymous(ctx),
};
