/**
 * @module
 * Errors are data: every error a client can cause is a LogError with a stable code, mapped to an
 * HTTP status in exactly one place (src/api/errors.ts).
 */

/** RFC 9162 error names where they fit (PROTOCOL §5), plain names otherwise. */
export type ErrorCode =
  | 'malformed'
  | 'firstUnknown'
  | 'secondUnknown'
  | 'secondBeforeFirst'
  | 'hashUnknown'
  | 'treeSizeUnknown'
  | 'leafIndexUnknown'
  | 'startUnknown'
  | 'endBeforeStart'
  | 'shutdown'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'tooLarge'
  | 'overloaded'
  | 'notFound'
  | 'storage'
  | 'rateLimited'
  | 'headersTooLarge'
  | 'requestTimeout';

export class LogError extends Error {
  override readonly name = 'LogError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** For `overloaded`, `shutdown`, `storage` and `rateLimited`: whole seconds (≥ 1) after which a retry may succeed. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
