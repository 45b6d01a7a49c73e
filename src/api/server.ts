/**
 * @module
 * Runs a Hono app (the log's API, or the witness's) on a Node HTTP or HTTPS server with limits that
 * keep slow, idle or numerous clients from holding resources, and shuts it down in the order that
 * loses nothing (spec/formats.md §22).
 *
 * - Timeouts: headers within `headersTimeoutMs`, the whole request (body included) within
 *   `requestTimeoutMs`, so a client that dribbles either (slowloris) is cut off; an idle keep-alive
 *   connection is closed after `keepAliveTimeoutMs`.
 * - At most `maxConnections` connections: beyond, Node closes each new one on arrival, before any
 *   byte is read, which is the cheapest answer to a flood.
 * - The server's own refusals (headers over `maxHeaderBytes`: 431, a request that is not HTTP/1.1:
 *   400, a timeout: 408) get the same body as the API's errors, instead of Node's empty answer.
 * - Every response carries the security headers of src/api/headers.ts.
 * - TLS 1.2 at least, when given a certificate and key.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { STATUS_CODES, createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { RequestError, getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { ErrorCode } from '../util/errors.js';
import { readSecretFile } from '../util/secret-file.js';
import { statusOf } from './errors.js';
import { headerPolicy, isLogPublicRead, securedResponses } from './headers.js';
import type { HeaderList, HeaderPolicy } from './headers.js';

export interface ServerLimits {
  /** A request must be complete within this many milliseconds… */
  readonly requestTimeoutMs: number;
  /** …and its headers within this many. */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this many. */
  readonly keepAliveTimeoutMs: number;
  /** Largest request head (request line and headers), in bytes. */
  readonly maxHeaderBytes: number;
  /** Connections held at once; beyond, new ones are closed on arrival. */
  readonly maxConnections: number;
}

/**
 * Node's own defaults for the header size and keep-alive; 10 s for headers is ample for any client
 * on a working network, and 30 s for a whole request lets a 16 MiB batch through at 4.5 Mbit/s.
 * 1000 connections: a fleet of gateways with keep-alive pools of a few dozen each, plus tails and
 * exports, with room to spare, while a flood of idle connections stays at tens of megabytes and
 * within the usual open-file limits (keep `ulimit -n` above this plus LevelDB's own files).
 */
export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 1000,
};

/** A certificate chain and its private key, PEM. */
export interface TlsFiles {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/**
 * Reads a certificate chain and its private key, refusing a key file others may read (like every
 * key: src/util/secret-file.ts). Whether they belong together is checked by listen().
 */
export async function readTlsFiles(certFile: string, keyFile: string): Promise<TlsFiles> {
  const cert = await readFile(certFile).catch((e: Error) => {
    throw new Error(`cannot read the TLS certificate ${certFile}: ${e.message}`);
  });
  return { cert, key: await readSecretFile(keyFile, 'the TLS private key') };
}

export interface ListenOptions {
  readonly limits?: Partial<ServerLimits>;
  /** Serve HTTPS (TLS 1.2 at least) with this certificate and key; plain HTTP without. */
  readonly tls?: TlsFiles;
  /** Security headers per request; by default the log's (public reads are CORS-open). */
  readonly headers?: HeaderPolicy;
  /**
   * The body of the server's own refusals: `json` is the API's `{"error_code", "error_message"}`
   * (PROTOCOL §5), `text` one line of text/plain, as the witness answers (spec/witness.md).
   */
  readonly refusals?: 'json' | 'text';
  /** Told of each connection closed on arrival at the connection limit. */
  readonly onDrop?: () => void;
}

export interface RunningServer {
  readonly address: AddressInfo;
  /** `http://` or `https://`, the address, and the port. */
  readonly url: string;
  /** Stops accepting connections and resolves once every in-flight response has been sent. */
  close(graceMs?: number): Promise<void>;
}

export async function listen(app: Hono, host: string, port: number, options: ListenOptions = {}): Promise<RunningServer> {
  const limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  const tls = options.tls;
  const policy = options.headers ?? headerPolicy({ tls: tls !== undefined, isPublicRead: isLogPublicRead });
  const refusal = refusalWriter(options.refusals ?? 'json', policy(undefined, undefined), limits);

  // The adapter calls errorHandler when it cannot make a Request of what came (a missing or bad
  // Host, RFC 9112 §3.2; a bad target): answered like the other refusals. Its messages name the
  // fault, never a header's value.
  const handle = getRequestListener(app.fetch, {
    errorHandler: (e) =>
      e instanceof RequestError ? refusal.response('malformed', `the request cannot be read: ${e.message}`) : refusal.internal(),
  });
  // The response of each connection's request in flight: a refusal must not be written into the
  // middle of a response already under way.
  const responses = new WeakMap<object, ServerResponse>();
  const onRequest = (request: IncomingMessage, response: ServerResponse): void => void handle(request, response);

  const serverOptions: ServerOptions = {
    // Adds the security headers to every response (src/api/headers.ts).
    ServerResponse: securedResponses(policy, (request, response) => responses.set(request.socket, response)),
    maxHeaderSize: limits.maxHeaderBytes,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above every this many ms (30 s by default, which would let a
    // slow client hold on up to 30 s longer than configured).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4))),
    // A request without Host reaches the adapter, which refuses it with a body (see above),
    // instead of Node's empty 400.
    requireHostHeader: false,
  };
  let server: Server;
  if (tls) {
    try {
      server = createHttpsServer({ ...serverOptions, cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, onRequest);
    } catch (e) {
      throw new Error(`the TLS certificate and key cannot be used: ${(e as Error).message}`);
    }
  } else {
    server = createHttpServer(serverOptions, onRequest);
  }
  server.maxConnections = limits.maxConnections;
  const shutdown = closeKeptAliveConnections(server);
  const onDrop = options.onDrop;
  if (onDrop) server.on('drop', () => onDrop());
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = responses.get(socket);
    if (!socket.writable || error.code === 'ECONNRESET' || (inFlight !== undefined && inFlight.headersSent && !inFlight.writableEnded)) {
      socket.destroy();
      return;
    }
    socket.end(refusal.raw(error), () => socket.destroy());
    // A peer that reads nothing must not keep the socket: the answer is small, a second is ample.
    setTimeout(() => socket.destroy(), 1000).unref();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    address,
    url: `${tls ? 'https' : 'http'}://${shownHost}:${address.port}`,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        shutdown.begin();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/** The server's refusals, as raw HTTP for a socket (clientError) and as a Response (the adapter's errorHandler). */
function refusalWriter(format: 'json' | 'text', headers: HeaderList, limits: ServerLimits) {
  const body = (code: ErrorCode, message: string): { type: string; text: string } =>
    format === 'json'
      ? { type: 'application/json', text: JSON.stringify({ error_code: code, error_message: message }) }
      : { type: 'text/plain; charset=utf-8', text: `${message}\n` };
  const why = (error: NodeJS.ErrnoException): [ErrorCode, string] => {
    switch (error.code) {
      case 'HPE_HEADER_OVERFLOW':
        return ['headersTooLarge', `the request line and headers exceed the limit of ${limits.maxHeaderBytes} bytes; send fewer or shorter headers`];
      case 'ERR_HTTP_REQUEST_TIMEOUT':
        return [
          'requestTimeout',
          `the request was not received in time: its headers must arrive within ${limits.headersTimeoutMs / 1000} s ` +
            `and the whole request within ${limits.requestTimeoutMs / 1000} s of the first byte`,
        ];
      default:
        // Node's parser errors (HPE_*) name the fault; never the bytes received, which may hold a token.
        return ['malformed', `the request is not valid HTTP/1.1 (${error.code ?? 'unreadable'}); see RFC 9112`];
    }
  };
  const extra: string[] = [];
  for (let i = 0; i < headers.length; i += 2) extra.push(`${headers[i]}: ${headers[i + 1]}\r\n`);
  const fixed = extra.join('');
  return {
    raw(error: NodeJS.ErrnoException): string {
      const [code, message] = why(error);
      const status = statusOf(code);
      const { type, text } = body(code, message);
      return (
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
        `Connection: close\r\nX-Request-Id: ${randomUUID()}\r\n${fixed}\r\n${text}`
      );
    },
    response(code: ErrorCode, message: string): Response {
      const { type, text } = body(code, message);
      return new Response(text, { status: statusOf(code), headers: { 'Content-Type': type, 'X-Request-Id': randomUUID() } });
    },
    /** A fault of the server itself (the API's `internal`, PROTOCOL §5). */
    internal(): Response {
      const message = 'the server failed to handle this request';
      const text = format === 'json' ? JSON.stringify({ error_code: 'internal', error_message: message }) : `${message}\n`;
      return new Response(text, { status: 500, headers: { 'Content-Type': format === 'json' ? 'application/json' : 'text/plain; charset=utf-8' } });
    },
  };
}

/**
 * HTTP/1.1 keep-alive lets a client go on sending requests over a connection it already has after
 * `server.close()` stopped the listener: the close then waits for the grace period and cuts off
 * whatever is in flight when it ends (an accepted request left without an answer). So once
 * closing begins, every response not yet started says `Connection: close` (Node ends the
 * connection after it), and a connection that goes idle is closed at once. A client can still send
 * on an idle connection as it is being closed; the server never read that request, and the client
 * sees a closed connection, not a lost answer.
 */
function closeKeptAliveConnections(server: Server): { begin(): void } {
  const responses = new Set<ServerResponse>();
  let closing = false;
  // Prepended: it must come before the app's listener, which may write a response synchronously.
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (closing) response.shouldKeepAlive = false;
    responses.add(response);
    response.once('close', () => {
      responses.delete(response);
      if (closing) server.closeIdleConnections();
    });
  });
  return {
    begin() {
      closing = true;
      for (const response of responses) if (!response.headersSent) response.shouldKeepAlive = false;
    },
  };
}
