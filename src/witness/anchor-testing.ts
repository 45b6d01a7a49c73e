/**
 * @module
 * Test helpers for anchoring: real cosigned checkpoints, a real webhook receiver on port 0 that can
 * be told to fail or hang, and a real HTTP proxy in front of a log that can lose answers or be down.
 * Used by the anchor*.test.ts files only.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addSignatures, generateCosignerKey, generateSignerKey, parseCosignerKey, parseSignerKey, signCheckpoint } from '../note/index.js';
import { sha256 } from '../util/hash.js';
import { utf8 } from '../util/bytes.js';
import type { CosignedCheckpoint } from './anchor.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** A log key and a witness key; `at(size)` is a checkpoint of that size signed by the log and cosigned by the witness. */
export function cosigning(origin: string): { witnessVerifierKey: string; at(size: number): CosignedCheckpoint } {
  const log = parseSignerKey(generateSignerKey(origin, random).signerKey);
  const witness = generateCosignerKey('witness.example/w1', random);
  const cosigner = parseCosignerKey(witness.signerKey);
  return {
    witnessVerifierKey: witness.verifierKey,
    at(size) {
      // Any 32 bytes serve as the root here: anchoring does not recompute trees.
      const rootHash = sha256(utf8(`${origin} ${size}`));
      const note = signCheckpoint({ origin, size, rootHash, extensions: [] }, log);
      const text = note.slice(0, note.indexOf('\n\n') + 1);
      return { origin, size, rootHash, cosignedNote: addSignatures(note, [cosigner.cosign(text, 1_795_000_000 + size)]) };
    },
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function shut(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function readBody(req: import('node:http').IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface ReceivedRequest {
  /** Milliseconds on the real clock. */
  readonly at: number;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status answered (0 when the request was left hanging). */
  readonly status: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Answer the next `n` requests with `status` (500 by default). */
  failNext(n: number, status?: number): void;
  /** While true, requests get no answer at all. */
  hang: boolean;
  close(): Promise<void>;
}

export async function webhookReceiver(): Promise<WebhookReceiver> {
  let failures = 0;
  let failStatus = 500;
  const requests: ReceivedRequest[] = [];
  const receiver = {
    url: '',
    requests,
    hang: false,
    failNext(n: number, status = 500) {
      failures = n;
      failStatus = status;
    },
    close: async () => shut(server),
  };
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const base = { at: Date.now(), path: req.url ?? '', headers: req.headers, body };
      if (receiver.hang) {
        requests.push({ ...base, status: 0 });
        return;
      }
      const status = failures > 0 ? failStatus : 204;
      if (failures > 0) failures--;
      requests.push({ ...base, status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 204 ? undefined : 'receiver says no');
    });
  });
  receiver.url = await listen(server);
  return receiver;
}

export interface LogProxy {
  readonly url: string;
  /** Where requests go. */
  target: string;
  /** `pass` forwards; `lose-answer` forwards and then cuts the connection without answering; `down` cuts it at once. */
  mode: 'pass' | 'lose-answer' | 'down';
  /** Requests that reached the target. */
  forwarded: number;
  close(): Promise<void>;
}

/** A real HTTP proxy in front of a log, to lose answers and to stand in for a log that is down. */
export async function logProxy(target: string): Promise<LogProxy> {
  const proxy = { url: '', target, mode: 'pass' as LogProxy['mode'], forwarded: 0, close: async () => shut(server) };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (proxy.mode === 'down') return void req.socket.destroy();
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type', 'idempotency-key']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const answer = await fetch(`${proxy.target}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(req.method === 'POST' ? { body } : {}) });
      const text = await answer.text();
      proxy.forwarded++;
      if (proxy.mode === 'lose-answer') return void req.socket.destroy();
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(text);
    })().catch(() => req.socket.destroy());
  });
  proxy.url = await listen(server);
  return proxy;
}

/**
 * How long a test waits for something that must happen (a delivery, a retry) before it fails. A
 * bound on liveness, not on speed: on 2 busy cores (test:long runs property tests alongside) a retry
 * due in 150 ms was seen to take more than 3 s, so the bound is generous; a condition that holds
 * sooner ends the wait at once.
 */
export const LIVENESS_MS = 20_000;

/** Polls `probe` until it returns a truthy value; fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T> | T, timeoutMs = LIVENESS_MS, what = 'the condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
