/**
 * @module
 * Runs the Hono app on a Node HTTP server with timeouts that keep slow or idle clients from holding
 * resources, and shuts it down in the order that loses nothing.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';

export interface ServerLimits {
  /** A request must be complete within this many milliseconds. */
  readonly requestTimeoutMs: number;
  /** …and its headers within this many. */
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxHeaderBytes: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderBytes: 16 * 1024,
};

export interface RunningServer {
  readonly address: AddressInfo;
  readonly url: string;
  /** Stops accepting connections and resolves once every in-flight response has been sent. */
  close(graceMs?: number): Promise<void>;
}

export async function listen(app: Hono, host: string, port: number, limits: ServerLimits = DEFAULT_SERVER_LIMITS): Promise<RunningServer> {
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: host,
    serverOptions: { maxHeaderSize: limits.maxHeaderBytes, requestTimeout: limits.requestTimeoutMs },
  }) as Server;
  server.headersTimeout = limits.headersTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
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
    url: `http://${shownHost}:${address.port}`,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
