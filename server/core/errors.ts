/**
 * Protocol and internal errors.
 * RFC 6120 §4.9 (stream errors), §6.5 (SASL failures), §8.3 (stanza errors).
 * Protocol failures carry the condition the RFC names; internal failures are ServerError
 * with a stable code, and their details never reach the wire.
 */

export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
export const NS_STREAMS = 'urn:ietf:params:xml:ns:xmpp-streams';
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** RFC 6120 §8.3.2 */
export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

/** RFC 6120 §8.3.3 */
export type StanzaErrorCondition =
  | 'bad-request' | 'conflict' | 'feature-not-implemented' | 'forbidden' | 'gone'
  | 'internal-server-error' | 'item-not-found' | 'jid-malformed' | 'not-acceptable'
  | 'not-allowed' | 'not-authorized' | 'policy-violation' | 'recipient-unavailable'
  | 'redirect' | 'registration-required' | 'remote-server-not-found'
  | 'remote-server-timeout' | 'resource-constraint' | 'service-unavailable'
  | 'subscription-required' | 'undefined-condition' | 'unexpected-request';

/** RFC 6120 §4.9.3 */
export type StreamErrorCondition =
  | 'bad-format' | 'bad-namespace-prefix' | 'conflict' | 'connection-timeout' | 'host-gone'
  | 'host-unknown' | 'improper-addressing' | 'internal-server-error' | 'invalid-from'
  | 'invalid-namespace' | 'invalid-xml' | 'not-authorized' | 'not-well-formed'
  | 'policy-violation' | 'remote-connection-failed' | 'reset' | 'resource-constraint'
  | 'restricted-xml' | 'see-other-host' | 'system-shutdown' | 'undefined-condition'
  | 'unsupported-encoding' | 'unsupported-feature' | 'unsupported-stanza-type'
  | 'unsupported-version';

/** RFC 6120 §6.5 */
export type SaslFailureCondition =
  | 'aborted' | 'account-disabled' | 'credentials-expired' | 'encryption-required'
  | 'incorrect-encoding' | 'invalid-authzid' | 'invalid-mechanism' | 'malformed-request'
  | 'mechanism-too-weak' | 'not-authorized' | 'temporary-auth-failure';

/** Default error type for each condition, RFC 6120 §8.3.3. */
const DEFAULT_TYPE: Record<StanzaErrorCondition, StanzaErrorType> = {
  'bad-request': 'modify', 'conflict': 'cancel', 'feature-not-implemented': 'cancel',
  'forbidden': 'auth', 'gone': 'cancel', 'internal-server-error': 'cancel',
  'item-not-found': 'cancel', 'jid-malformed': 'modify', 'not-acceptable': 'modify',
  'not-allowed': 'cancel', 'not-authorized': 'auth', 'policy-violation': 'modify',
  'recipient-unavailable': 'wait', 'redirect': 'modify', 'registration-required': 'auth',
  'remote-server-not-found': 'cancel', 'remote-server-timeout': 'wait',
  'resource-constraint': 'wait', 'service-unavailable': 'cancel',
  'subscription-required': 'auth', 'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
};

export interface AppCondition { name: string; xmlns: string; attrs?: Record<string, string> }

export class StanzaError extends Error {
  readonly type: StanzaErrorType;
  constructor(
    readonly condition: StanzaErrorCondition,
    readonly text?: string,
    type?: StanzaErrorType,
    readonly appCondition?: AppCondition,
  ) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'StanzaError';
    this.type = type ?? DEFAULT_TYPE[condition];
  }
}

export class StreamError extends Error {
  constructor(readonly condition: StreamErrorCondition, readonly text?: string) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'StreamError';
  }
}

export class SaslFailure extends Error {
  constructor(readonly condition: SaslFailureCondition, readonly text?: string) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = 'SaslFailure';
  }
}

/**
 * The stanza error an internal failure becomes: storage that is unreachable for now (a database
 * connection lost, no primary during a failover) is worth retrying, so wait/internal-server-error
 * (RFC 6120 §8.3.2: "retry after waiting"); anything else cancel/internal-server-error.
 */
export function internalStanzaError(err: unknown): StanzaError {
  if (err instanceof StanzaError) return err;
  return err instanceof ServerError && err.code === 'TERN_ERR_STORAGE_UNAVAILABLE'
    ? new StanzaError('internal-server-error', undefined, 'wait')
    : new StanzaError('internal-server-error');
}

/** Internal failure with a stable code; logged, never put on the wire. */
export class ServerError extends Error {
  constructor(readonly code: ServerErrorCode, message: string, override readonly cause?: unknown) {
    super(`${code}: ${message}`);
    this.name = 'ServerError';
  }
}

export type ServerErrorCode =
  | 'TERN_ERR_CONFIG' | 'TERN_ERR_STORAGE' | 'TERN_ERR_STORAGE_UNAVAILABLE' | 'TERN_ERR_MODULE_DEPENDENCY'
  | 'TERN_ERR_MODULE_DUPLICATE' | 'TERN_ERR_SERVICE_MISSING' | 'TERN_ERR_CERT'
  | 'TERN_ERR_LISTEN' | 'TERN_ERR_ACCOUNT' | 'TERN_ERR_HANDLER';
