/**
 * The server side of SASL mechanisms (RFC 4422), independent of the stream: a mechanism takes the
 * client's messages and returns challenges until it is done or throws a SaslFailure.
 */
import { SaslFailure } from '../errors.js';
import { createScram } from './scram.js';
import { createPlain } from './plain.js';
import type { StoredCredentials } from './credentials.js';

export type ChannelBindingType = 'tls-exporter' | 'tls-server-end-point';

export interface SaslContext {
  /** Credentials for a (SASLprep'ed) username; undefined when there is no such account. May throw a SaslFailure. */
  lookup(username: string): Promise<StoredCredentials | undefined>;
  /** Channel-binding data of the TLS connection; undefined when not available. */
  channelBinding?(type: ChannelBindingType): Buffer | undefined;
  /** Channel-binding types this connection supports (empty without TLS). */
  channelBindingTypes: ReadonlyArray<ChannelBindingType>;
  /** Whether a -PLUS mechanism was offered on this stream (RFC 5802 §6: the 'y' flag then means a downgrade). */
  plusAdvertised: boolean;
}

/**
 * The client asked for a channel-binding type this connection does not support. Not a wrong
 * password: the stream remembers it, after which the client's 'y' flag (RFC 5802 §6: "I could
 * bind, but you cannot") is the truth rather than a sign of a downgrade.
 */
export class ChannelBindingUnsupported extends SaslFailure {
  constructor(type: string) {
    super('not-authorized', `channel binding type ${type} is not supported`);
  }
}

export interface SaslResult { username: string; authzid?: string; additionalData?: Buffer }
export interface SaslStep { challenge?: Buffer; done?: SaslResult }
export interface SaslMechanism { readonly name: string; step(input: Buffer): Promise<SaslStep> }
export type SaslMechanismFactory = (ctx: SaslContext) => SaslMechanism;

export const MECHANISMS: Record<string, SaslMechanismFactory> = {
  'SCRAM-SHA-256-PLUS': (ctx) => createScram('SHA-256', true, ctx),
  'SCRAM-SHA-1-PLUS': (ctx) => createScram('SHA-1', true, ctx),
  'SCRAM-SHA-256': (ctx) => createScram('SHA-256', false, ctx),
  'SCRAM-SHA-1': (ctx) => createScram('SHA-1', false, ctx),
  PLAIN: (ctx) => createPlain(ctx),
};
