/**
 * @module
 * The one place where domain errors become HTTP statuses (PROTOCOL §5).
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorCode } from '../util/errors.js';
import { LogError } from '../util/errors.js';

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  malformed: 400,
  firstUnknown: 400,
  secondUnknown: 400,
  secondBeforeFirst: 400,
  treeSizeUnknown: 400,
  leafIndexUnknown: 400,
  startUnknown: 400,
  endBeforeStart: 400,
  unauthorized: 401,
  forbidden: 403,
  hashUnknown: 404,
  notFound: 404,
  conflict: 409,
  tooLarge: 413,
  rateLimited: 429,
  // The HTTP server's own refusals (src/api/server.ts), before the API sees the request.
  requestTimeout: 408,
  headersTooLarge: 431,
  overloaded: 503,
  shutdown: 503,
  storage: 503,
};

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code];
}

export function errorResponse(c: Context, error: LogError): Response {
  if (error.retryAfterSeconds !== undefined) c.header('Retry-After', String(error.retryAfterSeconds));
  if (error.code === 'unauthorized') c.header('WWW-Authenticate', 'Bearer');
  return c.json({ error_code: error.code, error_message: error.message }, STATUS[error.code]);
}

/**
 * Maps anything thrown by a handler. Only a bug in the log itself reaches the 500 branch, which
 * reports the error with the request's context (its id and route; never its body) and answers
 * generically: the client learns nothing of the log's internals.
 */
export function onError(error: Error, c: Context, report: (error: Error, c: Context) => void): Response {
  if (error instanceof LogError) return errorResponse(c, error);
  report(error, c);
  return c.json({ error_code: 'internal', error_message: 'the log failed to handle this request; it has been reported' }, 500);
}
