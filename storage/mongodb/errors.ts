/**
 * Driver errors → ServerError with a stable code. Whatever means "MongoDB cannot be reached or
 * cannot take the operation right now" (no server selectable, a connection lost or timed out,
 * the primary stepping down or shutting down, a write concern not satisfied in time) becomes
 * TERN_ERR_STORAGE_UNAVAILABLE, which stanza handlers answer with wait/internal-server-error;
 * everything else (a document too large, a bad value) is TERN_ERR_STORAGE. The original error
 * stays as `cause`, for the log.
 */
import { MongoError, MongoNetworkError, MongoNotConnectedError, MongoServerError, MongoServerSelectionError, MongoTopologyClosedError, MongoWriteConcernError } from 'mongodb';
import { ServerError } from '../../server/core/errors.js';

/** Server error codes that mean "not now" (MongoDB's error_codes.yml): retrying later can succeed. */
export const UNAVAILABLE_CODES: ReadonlySet<number> = new Set([
  6,     // HostUnreachable
  7,     // HostNotFound
  64,    // WriteConcernFailed (wtimeout)
  89,    // NetworkTimeout
  91,    // ShutdownInProgress
  133,   // FailedToSatisfyReadPreference
  189,   // PrimarySteppedDown
  262,   // ExceededTimeLimit
  9001,  // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

export function isUnavailable(err: unknown): boolean {
  if (err instanceof MongoNetworkError || err instanceof MongoServerSelectionError
    || err instanceof MongoTopologyClosedError || err instanceof MongoNotConnectedError) return true;
  if (err instanceof MongoWriteConcernError) return true;
  if (err instanceof MongoError) {
    if (err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('ResetPool')) return true;
    if (typeof err.code === 'number' && UNAVAILABLE_CODES.has(err.code)) return true;
  }
  return false;
}

/** Duplicate key: a unique index refused the write. */
export function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

export function mongoStorageError(what: string, err: unknown): ServerError {
  if (err instanceof ServerError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return isUnavailable(err)
    ? new ServerError('TERN_ERR_STORAGE_UNAVAILABLE', `${what}: MongoDB unavailable: ${msg}`, err)
    : new ServerError('TERN_ERR_STORAGE', `${what}: ${msg}`, err);
}

/** A connection string fit for logs and error messages: the password replaced by ***. */
export function redactUrl(url: string): string {
  return url.replace(/^(mongodb(?:\+srv)?:\/\/)([^@/]*)@/i, (_m, scheme: string, auth: string) => {
    const i = auth.indexOf(':');
    return `${scheme}${i < 0 ? auth : `${auth.slice(0, i)}:***`}@`;
  });
}
