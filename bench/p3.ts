/**
 * @module
 * P3: proofs over HTTP on a 1,000,000-entry log (bench/bulk.ts builds and caches it), 64 keep-alive
 * clients: get-proof-by-hash for leaves spread over the whole log, and get-sth-consistency from sizes
 * spread over the log to the current one, each against ≥ 0.6× the bare Hono GET ceiling measured in
 * the same run (bench/bare-server.ts: same query, a canned proof of the same size).
 */
import { cachedLog } from './bulk.js';
import { failures } from './http.js';
import type { Load } from './http.js';
import type { BenchOptions } from './options.js';
import { sizeLabel } from './options.js';
import { startBare, startSealtrail, stop } from './process.js';
import { consistencyPaths, measurePaths, proofByHashPaths, sampleLeafHashes, treeSize } from './reads.js';
import { fmt, progress, times, verdict } from './table.js';
import type { Row } from './table.js';

export const P3_ENTRIES = 1_000_000;
const QUICK_ENTRIES = 1_000;

export interface P3Result {
  readonly rows: Row[];
  readonly bare: Load;
  readonly proofByHash: Load;
  readonly consistency: Load;
}

export async function runP3(options: BenchOptions): Promise<P3Result> {
  const entries = options.quick ? QUICK_ENTRIES : P3_ENTRIES;
  progress(`P3: the ${fmt(entries)}-entry log`);
  const built = await cachedLog(entries, options);
  if (!built.reused) progress(`P3: built it in ${built.buildSeconds.toFixed(1)} s`);

  const server = await startSealtrail(built.dataDir);
  let proofByHash: Load;
  let consistency: Load;
  let paths: { byHash: string[]; consistency: string[] };
  try {
    const size = await treeSize(server.url);
    if (size !== entries) throw new Error(`the server reports tree size ${size}, expected ${entries}`);
    const sample = options.quick ? 256 : 16_384;
    paths = {
      byHash: proofByHashPaths(await sampleLeafHashes(server.url, size, sample), size),
      consistency: consistencyPaths(size, sample),
    };
    progress('P3: sealtrail get-proof-by-hash');
    proofByHash = await measurePaths(options, server.url, paths.byHash);
    progress('P3: sealtrail get-sth-consistency');
    consistency = await measurePaths(options, server.url, paths.consistency);
  } finally {
    await stop(server);
  }

  progress('P3: bare Hono GET');
  const bareServer = await startBare();
  let bare: Load;
  try {
    bare = await measurePaths(options, bareServer.url, paths.byHash);
  } finally {
    await stop(bareServer);
  }

  const row = (name: string, ours: Load): Row => {
    const ratio = ours.requestsPerSecond / bare.requestsPerSecond;
    return {
      target: `P3 ${name}, ${sizeLabel(entries)} entries, ${options.connections} clients, req/s (≥ 0.6× bare GET)`,
      ours: fmt(ours.requestsPerSecond),
      baseline: fmt(bare.requestsPerSecond),
      ratio: times(ratio),
      verdict: failures(ours) ?? verdict(ratio >= 0.6),
      values: { ours: ours.requestsPerSecond, baseline: bare.requestsPerSecond, ratio, failures: ours.errors + ours.non2xx, p50: ours.p50, p99: ours.p99 },
    };
  };
  return {
    rows: [
      row('get-proof-by-hash', proofByHash),
      row('get-sth-consistency', consistency),
      {
        target: 'P3 latency p50 / p99 (ms): by-hash, consistency | bare',
        ours: `${proofByHash.p50} / ${proofByHash.p99}, ${consistency.p50} / ${consistency.p99}`,
        baseline: `${bare.p50} / ${bare.p99}`,
        ratio: '',
        verdict: '',
      },
    ],
    bare,
    proofByHash,
    consistency,
  };
}
