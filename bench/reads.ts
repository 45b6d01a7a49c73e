/**
 * @module
 * Read-side helpers for the proof benchmarks (P3, P5): which leaves to ask about, the request paths,
 * the autocannon load over a rotating set of paths, and a sequential latency sample with
 * sub-millisecond resolution (autocannon reports whole milliseconds).
 */
import { Agent, request } from 'node:http';
import type { Options as AutocannonOptions } from 'autocannon';
import { hashLeaf } from '../src/merkle/index.js';
import { fromBase64, toBase64 } from '../src/util/bytes.js';
import { measure, treeSize } from './http.js';
import type { Load } from './http.js';
import type { BenchOptions } from './options.js';

/** Deterministic pseudo-random sequence (xorshift32), so that runs ask about the same leaves. */
export function pseudoRandom(seed = 0x9e3779b9): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/**
 * Leaf hashes of about `count` entries spread over the whole log, read over HTTP the way an
 * auditor would (get-entries, then RFC 6962 §2.1 leaf hash).
 */
export async function sampleLeafHashes(url: string, size: number, count: number): Promise<string[]> {
  const random = pseudoRandom();
  const perRead = Math.min(64, count);
  const hashes: string[] = [];
  while (hashes.length < count) {
    const start = Math.floor(random() * Math.max(1, size - perRead));
    const end = Math.min(size - 1, start + perRead - 1);
    const response = await fetch(`${url}/ct/v1/get-entries?start=${start}&end=${end}`);
    if (!response.ok) throw new Error(`get-entries ${start}..${end}: ${response.status} ${await response.text()}`);
    const { entries } = (await response.json()) as { entries: { leaf_input: string }[] };
    for (const e of entries) hashes.push(toBase64(hashLeaf(fromBase64(e.leaf_input)!)));
  }
  return hashes.slice(0, count);
}

export function proofByHashPaths(hashes: readonly string[], size: number): string[] {
  return hashes.map((h) => `/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(h)}&tree_size=${size}`);
}

/** Consistency proofs from `count` earlier sizes, spread over the log, to the current size. */
export function consistencyPaths(size: number, count: number): string[] {
  const random = pseudoRandom(0x2545f491);
  return Array.from({ length: count }, () => `/ct/v1/get-sth-consistency?first=${1 + Math.floor(random() * (size - 1))}&second=${size}`);
}

/** autocannon GETs cycling through `paths`, one after another across all connections. */
export async function measurePaths(options: BenchOptions, url: string, paths: readonly string[]): Promise<Load> {
  let next = 0;
  const request: AutocannonOptions = {
    url,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => {
          const path = paths[next]!;
          next = (next + 1) % paths.length;
          return { ...req, path };
        },
      },
    ],
  };
  return measure(options, request);
}

/** Milliseconds per request, one request at a time over one keep-alive connection. */
export async function sequentialLatency(url: string, paths: readonly string[], count: number, warmup = Math.min(200, count)): Promise<{ p50: number; p99: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(url);
  const get = (path: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request({ agent, hostname, port, path, method: 'GET' }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`GET ${path}: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    const samples: number[] = [];
    for (let i = 0; i < warmup + count; i++) {
      const started = performance.now();
      await get(paths[i % paths.length]!);
      if (i >= warmup) samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
    return { p50: at(0.5), p99: at(0.99) };
  } finally {
    agent.destroy();
  }
}

export { treeSize };
