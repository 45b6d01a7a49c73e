/**
 * @module
 * P1, the end-to-end HTTP benchmark: single add-entry with 64 concurrent keep-alive clients, against
 * sealtrail (receipts only after fsync and signing) and, in the same run, against a bare Hono handler
 * that only parses the same JSON body. Both servers run as separate processes; the load generator
 * (autocannon) runs in this one. Also the load helpers the other HTTP benchmarks use.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { Options as AutocannonOptions } from 'autocannon';
import { benchOptions } from './options.js';
import type { BenchOptions } from './options.js';
import { machine, startBare, startSealtrail, stop } from './process.js';
import type { RunningServer } from './process.js';
import { fmt, progress, times, verdict } from './table.js';
import type { Row } from './table.js';

export { machine };

/** A realistic ~1 KB, 13-field audit record, as a gateway would send it. */
export const RECORD = JSON.stringify({
  timestamp: '2026-11-23T12:00:00.000Z',
  tenant_id: 'tenant-7',
  user_id: 'user-42@example.com',
  model: 'gpt-5.1',
  model_version: '2026-10-01',
  provider: 'openai',
  category: 'normal',
  guardrails: { pii: 'pass', jailbreak: 'pass', toxicity: 0.01 },
  tokens: { prompt: 812, completion: 128 },
  cost_usd: 0.0123,
  prompt_sha256: 'a'.repeat(64),
  response_sha256: 'b'.repeat(64),
  notes: 'x'.repeat(560),
});

export interface Load {
  /** Successful (2xx) responses per second. */
  readonly requestsPerSecond: number;
  /** Milliseconds (autocannon's resolution: whole milliseconds). */
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
  /** Responses by status code other than 2xx, e.g. "503×12", for the verdict of a run that had failures. */
  readonly statuses: string;
}

/** The status codes other than 2xx in an autocannon result, as "503×12, 401×3". */
export function failedStatuses(statusCodeStats: Readonly<Record<string, { count?: number }>> | undefined): string {
  return Object.entries(statusCodeStats ?? {})
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, { count }]) => `${code}×${count ?? 0}`)
    .join(', ');
}

/** The verdict of a run with failed requests, or undefined if it had none. */
export function failures(load: Pick<Load, 'errors' | 'non2xx' | 'statuses'>): string | undefined {
  const n = load.errors + load.non2xx;
  if (n === 0) return undefined;
  return `${n} failed requests${load.statuses ? ` (${load.statuses})` : ''}`;
}

/** Runs autocannon twice: a warm-up, then the measured load. */
export async function measure(options: BenchOptions, request: AutocannonOptions): Promise<Load> {
  if (options.warmupS > 0) await autocannon({ connections: options.connections, ...request, duration: options.warmupS });
  const r = await autocannon({ connections: options.connections, ...request, duration: options.durationS });
  return {
    // Only answered requests count: a refusal (429, 503) is not throughput.
    requestsPerSecond: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    statuses: failedStatuses(r.statusCodeStats),
  };
}

const addEntryRequest = (url: string, token: string | undefined): AutocannonOptions => ({
  url: `${url}/ct/v1/add-entry`,
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: RECORD,
});

/** The submitter token a new log's server prints once. */
export function firstToken(server: RunningServer): string {
  const m = /(st_[A-Za-z0-9_-]{43})/.exec(server.banner);
  if (!m) throw new Error(`the server printed no submitter token:\n${server.banner}`);
  return m[1]!;
}

export async function treeSize(url: string): Promise<number> {
  const sth = (await (await fetch(`${url}/ct/v1/get-sth`)).json()) as { tree_size: number };
  return sth.tree_size;
}

/** A new sealtrail log in a temporary directory, served while `fn` runs, then stopped and removed. */
export async function withFreshSealtrail<T>(args: readonly string[], fn: (server: RunningServer, token: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sealtrail-bench-'));
  try {
    const server = await startSealtrail(join(dir, 'data'), args);
    try {
      return await fn(server, firstToken(server));
    } finally {
      await stop(server);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchBare(options: BenchOptions = benchOptions(false)): Promise<Load> {
  const bare = await startBare();
  try {
    return await measure(options, addEntryRequest(bare.url, undefined));
  } finally {
    await stop(bare);
  }
}

/** Runs a fresh sealtrail server (extra `serve` flags in `args`) under the add-entry load. */
export async function benchSealtrail(
  args: string[] = [],
  connections = 64,
  options: BenchOptions = benchOptions(false),
): Promise<Load & { entries: number }> {
  return withFreshSealtrail(args, async (server, token) => {
    const ours = await measure({ ...options, connections }, addEntryRequest(server.url, token));
    return { ...ours, entries: await treeSize(server.url) };
  });
}

export interface P1Result {
  readonly rows: Row[];
  readonly ours: Load & { entries: number };
  readonly bare: Load;
}

/** P1: add-entry req/s against ≥ 0.6× bare Hono, same run. */
export async function runP1(options: BenchOptions): Promise<P1Result> {
  progress('P1: bare Hono add-entry');
  const bare = await benchBare(options);
  progress('P1: sealtrail add-entry');
  const ours = await benchSealtrail([], options.connections, options);
  const ratio = ours.requestsPerSecond / bare.requestsPerSecond;
  const failed = failures(ours);
  const rows: Row[] = [
    {
      target: `P1 add-entry, ${options.connections} clients, req/s (≥ 0.6× bare Hono)`,
      ours: fmt(ours.requestsPerSecond),
      baseline: fmt(bare.requestsPerSecond),
      ratio: times(ratio),
      verdict: failed ?? verdict(ratio >= 0.6),
      values: { ours: ours.requestsPerSecond, baseline: bare.requestsPerSecond, ratio, failures: ours.errors + ours.non2xx, entries: ours.entries },
    },
    {
      target: 'P1 add-entry latency p50 / p99 (ms)',
      ours: `${ours.p50} / ${ours.p99}`,
      baseline: `${bare.p50} / ${bare.p99}`,
      ratio: '',
      verdict: '',
      values: { p50: ours.p50, p99: ours.p99, baselineP50: bare.p50, baselineP99: bare.p99 },
    },
  ];
  return { rows, ours, bare };
}
