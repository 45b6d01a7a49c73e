/**
 * @module
 * P5: scale. A 10,000,000-entry log (bench/bulk.ts; cached) against a 10,000-entry one, same run:
 *
 * - server RSS while serving proofs: peak of /proc/PID/status VmRSS, sampled every 100 ms during the
 *   latency sample and while 64 clients ask for proofs; ≤ 300 MB (10^6 bytes). Shown split into
 *   anonymous memory (heap, LevelDB's caches) and file-backed pages (LevelDB reads its tables
 *   through mmap, and the pages it touches count as resident, though the kernel may drop them);
 * - proof latency: get-proof-by-hash one request at a time over one keep-alive connection (random
 *   leaves over the whole log), p50 at 10M within 1.5× of p50 at 10k;
 * - data directory (apparent size of every file under it) ≤ 2 × (leaf_inputs + record bodies) +
 *   64 B per entry;
 * - start-up ≤ 2 s: process spawn to the "serving" line; also the log's own open time (open the store,
 *   check the signed head, rebuild the right edge) measured in-process.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cachedLog, openAndCheck } from './bulk.js';
import type { BuiltLog } from './bulk.js';
import { measurePaths, proofByHashPaths, sampleLeafHashes, sequentialLatency, treeSize } from './reads.js';
import type { BenchOptions } from './options.js';
import { sizeLabel } from './options.js';
import { sampleResident, startSealtrail, stop } from './process.js';
import { fmt, ms, progress, times, verdict } from './table.js';
import type { Row } from './table.js';

export const P5_ENTRIES = 10_000_000;
export const P5_SMALL_ENTRIES = 10_000;
const QUICK = { large: 2_000, small: 300 };
const RSS_LIMIT_BYTES = 300e6;
const STARTUP_LIMIT_MS = 2000;

/** Apparent size in bytes of every file under `dir`. */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

export interface Served {
  readonly entries: number;
  readonly startupMs: number;
  readonly openMs: number;
  readonly peakRssBytes: number;
  /** Of the peak: anonymous memory (heap, LevelDB caches) and file-backed pages (LevelDB's mmap'd tables). */
  readonly peakAnonBytes: number;
  readonly peakFileBytes: number;
  readonly p50: number;
  readonly p99: number;
  readonly requestsPerSecond: number;
  readonly failures: number;
  readonly statuses: string;
  readonly dataBytes: number;
}

/** Opens, then serves `built` and measures it (see the module comment). */
export async function measureServed(options: BenchOptions, built: BuiltLog): Promise<Served> {
  const dataBytes = await directoryBytes(built.dataDir);
  const { openMs } = await openAndCheck(built.dataDir);
  const server = await startSealtrail(built.dataDir);
  const rss = sampleResident(server.child.pid!);
  let stopped = false;
  try {
    const size = await treeSize(server.url);
    if (size !== built.entries) throw new Error(`the server reports tree size ${size}, expected ${built.entries}`);
    const paths = proofByHashPaths(await sampleLeafHashes(server.url, size, options.quick ? 128 : 8192), size);
    const latency = await sequentialLatency(server.url, paths, options.quick ? 100 : 2000);
    const load = await measurePaths(options, server.url, paths);
    const peak = await rss.stop();
    stopped = true;
    return {
      entries: built.entries,
      startupMs: server.startupMs,
      openMs,
      peakRssBytes: peak.rss,
      peakAnonBytes: peak.anon,
      peakFileBytes: peak.file,
      p50: latency.p50,
      p99: latency.p99,
      requestsPerSecond: load.requestsPerSecond,
      failures: load.errors + load.non2xx,
      statuses: load.statuses,
      dataBytes,
    };
  } finally {
    if (!stopped) await rss.stop();
    await stop(server);
  }
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;
const size = (bytes: number): string => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`);

export async function runP5(options: BenchOptions): Promise<{ rows: Row[]; large: Served; small: Served; largeBuild: BuiltLog }> {
  const sizes = options.quick ? QUICK : { large: P5_ENTRIES, small: P5_SMALL_ENTRIES };
  progress(`P5: the ${fmt(sizes.small)}-entry log`);
  const smallBuilt = await cachedLog(sizes.small, options);
  progress(`P5: the ${fmt(sizes.large)}-entry log${options.quick ? '' : ' (built once and cached; the first build takes a long while)'}`);
  const largeBuilt = await cachedLog(sizes.large, options);
  if (!largeBuilt.reused) progress(`P5: built it in ${largeBuilt.buildSeconds.toFixed(0)} s`);

  progress(`P5: serving the ${fmt(sizes.small)}-entry log`);
  const small = await measureServed(options, smallBuilt);
  progress(`P5: serving the ${fmt(sizes.large)}-entry log`);
  const large = await measureServed(options, largeBuilt);

  const L = sizeLabel(sizes.large);
  const S = sizeLabel(sizes.small);
  const budget = 2 * (largeBuilt.leafInputBytes + largeBuilt.recordBodyBytes) + 64 * sizes.large;
  const latencyRatio = large.p50 / small.p50;
  const rows: Row[] = [
    {
      target: `P5 server peak RSS serving proofs (anon + file-backed), ${L} entries (≤ 300 MB); baseline: the ${S}-entry log`,
      ours: `${mb(large.peakRssBytes)} (${mb(large.peakAnonBytes)} + ${mb(large.peakFileBytes)})`,
      baseline: `${mb(small.peakRssBytes)} (${mb(small.peakAnonBytes)} + ${mb(small.peakFileBytes)})`,
      ratio: times(large.peakRssBytes / small.peakRssBytes),
      verdict: verdict(large.peakRssBytes <= RSS_LIMIT_BYTES),
      values: { ours: large.peakRssBytes, baseline: small.peakRssBytes, limit: RSS_LIMIT_BYTES },
    },
    {
      target: `P5 get-proof-by-hash p50 (ms), one at a time, ${L} vs ${S} (≤ 1.5×)`,
      ours: `${ms(large.p50)} (p99 ${ms(large.p99)})`,
      baseline: `${ms(small.p50)} (p99 ${ms(small.p99)})`,
      ratio: times(latencyRatio),
      verdict: verdict(latencyRatio <= 1.5),
      values: { ours: large.p50, baseline: small.p50, ratio: latencyRatio },
    },
    {
      target: `P5 get-proof-by-hash req/s, ${options.connections} clients, ${L} vs ${S}`,
      ours: fmt(large.requestsPerSecond),
      baseline: fmt(small.requestsPerSecond),
      ratio: times(large.requestsPerSecond / small.requestsPerSecond),
      verdict: large.failures + small.failures > 0 ? `${large.failures + small.failures} failed requests ${large.statuses} ${small.statuses}`.trim() : '',
      values: { ours: large.requestsPerSecond, baseline: small.requestsPerSecond },
    },
    {
      target: `P5 data directory, ${L} entries (≤ 2 × (leaf_inputs + record bodies) + 64 B/entry)`,
      ours: `${size(large.dataBytes)} (${fmt(large.dataBytes / sizes.large)} B/entry)`,
      baseline: `${size(budget)} (${fmt(budget / sizes.large)} B/entry)`,
      ratio: times(large.dataBytes / budget),
      verdict: verdict(large.dataBytes <= budget),
      values: { ours: large.dataBytes, baseline: budget },
    },
    {
      target: `P5 start-up, ${L} entries: spawn to serving (ms) (≤ 2 s); in brackets the log's own open`,
      ours: `${fmt(large.startupMs)} (${fmt(large.openMs)})`,
      baseline: `${fmt(small.startupMs)} (${fmt(small.openMs)}) at ${S}`,
      ratio: times(large.startupMs / STARTUP_LIMIT_MS),
      verdict: verdict(large.startupMs <= STARTUP_LIMIT_MS),
      values: { ours: large.startupMs, openMs: large.openMs, baseline: small.startupMs },
    },
  ];
  if (!largeBuilt.reused) {
    rows.push({
      target: `P5 bulk build of the ${L}-entry log (in-process sequencer), s`,
      ours: largeBuilt.buildSeconds.toFixed(0),
      baseline: '',
      ratio: '',
      verdict: '',
      values: { seconds: largeBuilt.buildSeconds, entriesPerSecond: sizes.large / largeBuilt.buildSeconds },
    });
  }
  return { rows, large, small, largeBuild: largeBuilt };
}
