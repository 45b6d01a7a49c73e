/**
 * @module
 * Per-request observability: a request id, the latency histogram and one log line per request.
 *
 * A request line holds the method, the matched route *pattern* (`/tile/*`, never the raw path: it
 * keeps metric cardinality bounded and keeps query strings, which may name record fields or event
 * ids, out of the logs), the status, the duration, the request id and the principal's name. Never
 * the body, the query string or a header other than the request id.
 */
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Principal } from '../storage/types.js';
import { UNMATCHED_ROUTE } from '../observability/index.js';
import type { Logger, Metrics } from '../observability/index.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** This request's id, echoed in the `X-Request-Id` response header and its log lines. */
    requestId: string;
    /** The authenticated principal's name, once a handler has authenticated the request. */
    principal: string;
  }
}

/** An incoming `X-Request-Id` is kept if it is a sane token: 1 to 64 visible ASCII characters. */
const REQUEST_ID_RE = /^[\x21-\x7e]{1,64}$/;

/** The catch-all middleware's pattern (Hono stores `app.use('*')` as `/*`): a request that got no further matched no endpoint. */
const EVERY_PATH = '/*';

/**
 * Middleware, registered first: assigns the request id, then after the response is built records
 * its latency and writes its log line. Per request: one UUID (only when none was sent), one
 * histogram observation and one log object; no child logger.
 */
export function observeRequests(metrics: Metrics, logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const sent = c.req.header('x-request-id');
    const requestId = sent !== undefined && REQUEST_ID_RE.test(sent) ? sent : randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routeOf(c);
    const status = c.res.status;
    metrics.request(c.req.method, route, status, seconds);
    if (logger.isLevelEnabled('info')) {
      logger.info(
        {
          req_id: requestId,
          method: c.req.method,
          route,
          status,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
          principal: c.get('principal') as string | undefined,
        },
        'request',
      );
    }
  };
}

/** Records who made the request, for its log line. Handlers call it right after authenticating. */
export function notePrincipal(c: Context, principal: Principal): Principal {
  c.set('principal', principal.name);
  return principal;
}

/**
 * The route pattern that answered the request (for a request no endpoint matched, the catch-all
 * middleware's own pattern, reported as UNMATCHED_ROUTE). Hono leaves `routeIndex` at the last
 * handler it dispatched.
 */
export function routeOf(c: Context): string {
  const path = matchedRoutes(c)[c.req.routeIndex]?.path;
  return path === undefined || path === EVERY_PATH || path === '*' ? UNMATCHED_ROUTE : path;
}

/** The request id assigned by observeRequests (undefined outside it). */
export function requestIdOf(c: Context): string | undefined {
  return c.get('requestId') as string | undefined;
}
