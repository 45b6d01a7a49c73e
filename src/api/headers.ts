/**
 * @module
 * Security headers, set by the HTTP server (src/api/server.ts) on every response it sends: the
 * API's answers, its errors and 404s, and the server's own refusals (400, 408, 431)
 * (spec/formats.md §22.4). They are chosen per request from two lists built at start-up, and go in
 * through the response class (securedResponses), which appends them to the header list the adapter
 * hands to `writeHead`: about 1 µs a response (measured on the 2-core machine; a `setHeader` per
 * header cost 3 to 4 µs, as Node then merges two header sets), against some 400 µs of server CPU
 * for an add-entry.
 *
 * The log serves two kinds of response:
 * - **public reads** (RFC 6962 `get-*`, `/checkpoint`, tiles, `/v1/log`): signed, public data that
 *   anyone may check and that browser-based monitors and verifiers fetch from other origins. They
 *   get `Access-Control-Allow-Origin: *` and `Cross-Origin-Resource-Policy: cross-origin`. This is
 *   safe because the log never uses cookies or other ambient credentials: a page on another origin
 *   can read only what it could fetch itself without any token. Their caching is the handler's
 *   (full tiles are immutable; the checkpoint is no-store).
 * - **everything else** (submissions, record reads, erasure, tokens, the stream, health and
 *   metrics): `Cross-Origin-Resource-Policy: same-origin`, no CORS header (so browsers keep other
 *   origins out), and `Cache-Control: no-store` unless the handler sets its own, so that no cache
 *   keeps a receipt, a record or a token.
 *
 * Both get `X-Content-Type-Options: nosniff`, a CSP that allows nothing (the API serves no page,
 * so nothing it returns should ever run or be framed), `Referrer-Policy: no-referrer`, and, when
 * served over TLS, `Strict-Transport-Security` (a year; no `includeSubDomains`: the log does not
 * own the policy of its domain's other hosts).
 */
import { ServerResponse } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders } from 'node:http';

/** Header names and values, flattened: name, value, name, value, … */
export type HeaderList = readonly string[];

/** Picks the headers of a response from its request's method and target (`/path?query`). */
export type HeaderPolicy = (method: string | undefined, target: string | undefined) => HeaderList;

const COMMON: HeaderList = [
  'X-Content-Type-Options', 'nosniff',
  'Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy', 'no-referrer',
];
const HSTS: HeaderList = ['Strict-Transport-Security', 'max-age=31536000'];
const PUBLIC: HeaderList = ['Cross-Origin-Resource-Policy', 'cross-origin', 'Access-Control-Allow-Origin', '*'];
const PRIVATE: HeaderList = ['Cross-Origin-Resource-Policy', 'same-origin', 'Cache-Control', 'no-store'];

export interface HeaderPolicyOptions {
  /** Served over TLS: add Strict-Transport-Security. */
  readonly tls: boolean;
  /** Whether a GET or HEAD of this path (no query) is a public read. */
  readonly isPublicRead: (path: string) => boolean;
}

export function headerPolicy(options: HeaderPolicyOptions): HeaderPolicy {
  const base = options.tls ? [...COMMON, ...HSTS] : COMMON;
  const publicHeaders = Object.freeze([...base, ...PUBLIC]);
  const privateHeaders = Object.freeze([...base, ...PRIVATE]);
  const { isPublicRead } = options;
  return (method, target) => {
    if ((method !== 'GET' && method !== 'HEAD') || target === undefined) return privateHeaders;
    const query = target.indexOf('?');
    return isPublicRead(query === -1 ? target : target.slice(0, query)) ? publicHeaders : privateHeaders;
  };
}

/** The log's public reads (PROTOCOL §5): what anyone may fetch without a token. */
export function isLogPublicRead(path: string): boolean {
  return path.startsWith('/ct/v1/get-') || path.startsWith('/tile/') || path === '/checkpoint' || path === '/v1/log';
}

/**
 * A ServerResponse class (for `createServer({ ServerResponse })`) that adds the policy's headers to
 * every response at `writeHead`, explicit or implicit, unless the handler set that header itself
 * (its `Cache-Control` wins). `onCreate` is told of each response with its request.
 */
export function securedResponses(policy: HeaderPolicy, onCreate?: (request: IncomingMessage, response: ServerResponse) => void): typeof ServerResponse {
  // Lower-case names of each list the policy returns (it returns a few fixed lists).
  const lowered = new WeakMap<HeaderList, readonly string[]>();
  const lowerNames = (list: HeaderList): readonly string[] => {
    let names = lowered.get(list);
    if (names === undefined) {
      names = list.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      lowered.set(list, names);
    }
    return names;
  };
  class SecuredResponse extends ServerResponse {
    constructor(request: IncomingMessage) {
      super(request);
      onCreate?.(request, this);
    }

    override writeHead(
      statusCode: number,
      reasonOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
      maybeHeaders?: OutgoingHttpHeaders | OutgoingHttpHeader[],
    ): this {
      const reason = typeof reasonOrHeaders === 'string' ? reasonOrHeaders : undefined;
      const given = typeof reasonOrHeaders === 'string' ? maybeHeaders : reasonOrHeaders;
      const ours = policy(this.req.method, this.req.url);
      const names = lowerNames(ours);
      // Flattened pairs: Node takes them as they are when no header was set before (its fast path).
      const merged: OutgoingHttpHeader[] = [];
      // The given names, lower-cased, to let the handler's own value of a header win over ours.
      const taken: string[] = [];
      if (Array.isArray(given)) {
        const flat = given.length > 0 && Array.isArray(given[0]) ? (given as unknown as [string, OutgoingHttpHeader][]).flat() : given;
        for (let i = 0; i < flat.length; i += 2) {
          merged.push(flat[i]!, flat[i + 1]!);
          taken.push(String(flat[i]).toLowerCase());
        }
      } else if (given) {
        for (const name in given) {
          const value = given[name];
          if (value === undefined) continue;
          merged.push(name, value as OutgoingHttpHeader);
          taken.push(name.toLowerCase());
        }
      }
      for (let i = 0; i < names.length; i++) {
        const name = names[i]!;
        if (!taken.includes(name) && !this.hasHeader(name)) merged.push(ours[2 * i]!, ours[2 * i + 1]!);
      }
      return reason === undefined ? super.writeHead(statusCode, merged) : super.writeHead(statusCode, reason, merged);
    }
  }
  // Node's declaration is generic over the request class; this one is for IncomingMessage only.
  return SecuredResponse as unknown as typeof ServerResponse;
}
