/**
 * Shutdown under load: `sealtrail serve` as a real process gets SIGTERM while concurrent clients
 * are submitting, and they go on submitting until the process is gone. What each request may get
 * is precise:
 *
 * - a 200 with a receipt that verifies (and the entry is in the log after a restart), or
 * - a 503 with the pinned error body `{"error_code": "shutdown", "error_message": ...}` and a
 *   Retry-After, only after SIGTERM, or
 * - a refused connection (the listener is closed), only after SIGTERM, or a kept-alive connection
 *   closed by the server without an answer, only for a request sent after SIGTERM (one the server
 *   had not read when it closed the connection; HTTP lets a server close an idle connection at any
 *   time) and only if the server did not log it: every such request is sent again after the
 *   restart with its idempotency key (its event_id), and must then be logged as a new entry; an
 *   entry logged but never answered would come back with its old index instead.
 *
 * Every request in flight when SIGTERM is sent was accepted, so it gets an answer (a receipt or a
 * 503). The process exits 0, well within the 10 s grace period after which the server would cut
 * off whatever is still in flight, having logged exactly the tree size it says it stopped at.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../src/client/receipt.js';
import { utf8 } from '../src/util/bytes.js';
import { tempDir } from './harness.js';
import { serve } from './process.js';
import type { Server } from './process.js';

/** What one request got. */
/** `sentBefore`/`endedBefore`: whether the request was sent, and its outcome came, before SIGTERM was sent. */
type Outcome = { sentBefore: boolean; endedBefore: boolean; records: string[] } & (
  | { kind: 'receipts'; receipts: any[] }
  | { kind: 'shutdown' }
  | { kind: 'connection'; code: string }
  | { kind: 'unexpected'; detail: string }
);

const CLIENTS = 12;

function record(client: number, i: number, j = 0): string {
  return JSON.stringify({
    event_id: `shutdown-${client}-${i}-${j}`,
    tenant_id: `tenant-${client % 3}`,
    model: 'gpt-5.1',
    verdict: i % 7 === 0 ? 'block' : 'allow',
    tokens: { prompt: 100 + i, completion: 20 + j },
    notes: 'n'.repeat(200),
  });
}

/** The code of a connection-level failure (fetch wraps it in `cause`, sometimes twice). */
function connectionCode(error: unknown): string {
  let e = error as { code?: string; cause?: unknown; message?: string } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string') return e.code;
    e = e.cause as typeof e;
  }
  return `no code (${(error as Error).message})`;
}

describe('sealtrail serve, SIGTERM under load', () => {
  let dir: { path: string; remove(): Promise<void> };
  let server: Server | undefined;
  beforeAll(async () => {
    dir = await tempDir('sealtrail-shutdown-');
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) await server.stop('SIGKILL');
    await dir.remove();
  });

  it('answers every request it accepted, exits 0, and loses nothing it acknowledged', async () => {
    const data = join(dir.path, 'data');
    server = await serve(['--data', data, '--log-level', 'warn']);
    const token = /(st_[A-Za-z0-9_-]{43})/.exec(server.banner)![1]!;
    const vkey = /verifier key: (\S+)/.exec(server.banner)![1]!;
    const url = server.url;
    const outcomes: Outcome[] = [];
    let sigtermAt: number | undefined;
    let exited = false;
    let inFlight = 0;
    let acknowledged = 0;

    const send = async (path: string, records: string[]): Promise<Outcome> => {
      const body = path.endsWith('add-entries') ? `[${records.join(',')}]` : records[0]!;
      inFlight++;
      const sent = { sentBefore: sigtermAt === undefined, records };
      const ended = (): boolean => sigtermAt === undefined;
      try {
        const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
        const text = await res.text();
        if (res.status === 200) {
          const json = JSON.parse(text);
          const receipts = path.endsWith('add-entries') ? json.receipts : [json];
          acknowledged += receipts.length;
          return { ...sent, endedBefore: ended(), kind: 'receipts', receipts };
        }
        const json = (() => {
          try {
            return JSON.parse(text);
          } catch {
            return undefined;
          }
        })();
        const pinned =
          res.status === 503 &&
          json !== undefined &&
          Object.keys(json).sort().join(',') === 'error_code,error_message' &&
          json.error_code === 'shutdown' &&
          typeof json.error_message === 'string' &&
          json.error_message.length > 0 &&
          /^[1-9][0-9]*$/.test(res.headers.get('retry-after') ?? '');
        if (pinned) return { ...sent, endedBefore: ended(), kind: 'shutdown' };
        return { ...sent, endedBefore: ended(), kind: 'unexpected', detail: `${res.status} retry-after=${res.headers.get('retry-after')} ${text}` };
      } catch (e) {
        return { ...sent, endedBefore: ended(), kind: 'connection', code: connectionCode(e) };
      } finally {
        inFlight--;
      }
    };

    // Each client sends one request at a time, a batch of 4 every fifth, until the server is gone.
    const client = async (c: number): Promise<void> => {
      for (let i = 0; !exited; i++) {
        const outcome = i % 5 === 4 ? await send('/ct/v1/add-entries', [0, 1, 2, 3].map((j) => record(c, i, j))) : await send('/ct/v1/add-entry', [record(c, i)]);
        outcomes.push(outcome);
        if (outcome.kind === 'connection' && sigtermAt === undefined) return; // reported below
        // Refused: the listener is closed, but connections kept alive may still be served; keep
        // trying (gently) until the process is gone, as a client with retries would.
        if (outcome.kind === 'connection') await new Promise((r) => setTimeout(r, 20));
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
    const loadDeadline = Date.now() + 20_000;
    while (acknowledged < 300 && Date.now() < loadDeadline) await new Promise((r) => setTimeout(r, 10));
    expect(acknowledged, 'the load never got going').toBeGreaterThanOrEqual(300);

    const inFlightAtSigterm = inFlight;
    sigtermAt = Date.now();
    const code = await server.stop('SIGTERM');
    const stoppedAfterMs = Date.now() - sigtermAt;
    exited = true;
    await Promise.all(clients);
    const output = server.output();

    // The process stopped cleanly and promptly: well inside the 10 s forced-close grace period,
    // which only a request left hanging would run into.
    expect(code, output).toBe(0);
    expect(stoppedAfterMs, output).toBeLessThan(5_000);
    const stoppedAt = Number(/stopped at tree size (\d+)/.exec(output)?.[1]);
    expect(Number.isSafeInteger(stoppedAt), output).toBe(true);
    expect(inFlightAtSigterm, 'SIGTERM should arrive with requests in flight').toBeGreaterThan(0);

    // Nothing unexpected, and nothing but receipts before SIGTERM.
    expect(outcomes.filter((o) => o.kind === 'unexpected')).toEqual([]);
    const early = outcomes.filter((o) => o.kind !== 'receipts' && o.endedBefore);
    expect(early, 'requests refused or cut off before SIGTERM').toEqual([]);
    // A request sent before SIGTERM was read by the server before it closed any connection
    // (draining takes at least one sequencing pass first): it was accepted, so it gets an answer.
    const inFlightThen = outcomes.filter((o) => o.sentBefore && !o.endedBefore);
    expect(inFlightThen.length).toBe(inFlightAtSigterm);
    expect(inFlightThen.filter((o) => o.kind === 'connection'), 'requests in flight at SIGTERM left without an answer').toEqual([]);

    // Every receipt verifies offline and lies within what the server says it stopped at.
    const receipts = outcomes.flatMap((o) => (o.kind === 'receipts' ? o.receipts.map((r, i) => ({ receipt: r, record: o.records[i]! })) : []));
    expect(receipts.length).toBe(acknowledged);
    for (const { receipt, record } of receipts) {
      verifyReceipt(receipt, utf8(record), vkey);
      expect(receipt.leaf_index).toBeLessThan(stoppedAt);
    }
    expect(new Set(receipts.map((r) => r.receipt.leaf_index)).size).toBe(receipts.length);

    // After a restart: the log is where it stopped, and every acknowledged entry is in it.
    server = await serve(['--data', data, '--log-level', 'warn']);
    const sth = (await (await fetch(`${server.url}/ct/v1/get-sth`)).json()) as any;
    expect(sth.tree_size).toBe(stoppedAt);
    const logged = new Map<number, string>();
    for (let start = 0; start < stoppedAt; start = logged.size) {
      const { entries } = (await (await fetch(`${server.url}/ct/v1/get-entries?start=${start}&end=${stoppedAt - 1}`)).json()) as any;
      entries.forEach((e: any, i: number) => logged.set(start + i, e.leaf_input));
    }
    for (const { receipt } of receipts) expect(logged.get(receipt.leaf_index)).toBe(receipt.leaf_input);

    // Every request that got no receipt was not logged: sent again with the same event_id, each of
    // its records becomes a new entry, at or beyond the size the server stopped at.
    for (const o of outcomes.filter((o) => o.kind === 'shutdown' || o.kind === 'connection')) {
      const path = o.records.length > 1 ? '/ct/v1/add-entries' : '/ct/v1/add-entry';
      const body = o.records.length > 1 ? `[${o.records.join(',')}]` : o.records[0]!;
      const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
      expect(res.status).toBe(200);
      const json = (await res.json()) as any;
      for (const r of o.records.length > 1 ? json.receipts : [json]) {
        expect(r.leaf_index, `a request that got ${o.kind === 'shutdown' ? 'a 503' : (o as { code: string }).code} had been logged`).toBeGreaterThanOrEqual(stoppedAt);
      }
    }
    const resets = outcomes.filter((o) => o.kind === 'connection' && o.code !== 'ECONNREFUSED');
    console.log(
      `shutdown: SIGTERM with ${inFlightAtSigterm} requests in flight; ${acknowledged} entries acknowledged, ` +
        `${outcomes.filter((o) => o.kind === 'shutdown').length} answered 503 shutdown, ` +
        `${outcomes.filter((o) => o.kind === 'connection' && o.code === 'ECONNREFUSED').length} refused after close, ` +
        `${resets.length} closed without an answer (${resets.map((o) => (o as { code: string }).code).join(', ') || 'none'}); ` +
        `exit 0 after ${stoppedAfterMs} ms at tree size ${stoppedAt}`,
    );

    expect(await server.stop('SIGTERM')).toBe(0);
    server = undefined;
  });
});
