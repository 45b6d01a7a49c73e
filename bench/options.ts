/**
 * @module
 * What every benchmark module takes: full runs for the table, or `quick` ones (tiny sizes, short
 * loads) for a smoke test. Quick figures say that the benchmark works, not how fast anything is.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchOptions {
  readonly quick: boolean;
  /** Seconds each measured HTTP load runs. */
  readonly durationS: number;
  /** Seconds of load before each measured one, so that servers are measured hot. */
  readonly warmupS: number;
  /** Concurrent keep-alive connections (P1, P3, P4: the 64). */
  readonly connections: number;
  /** Where cached benchmark logs live (bench/bulk.ts), one directory per size and format. */
  readonly cacheDir: string;
}

export function benchOptions(quick: boolean, overrides: Partial<BenchOptions> = {}): BenchOptions {
  return {
    quick,
    durationS: quick ? 1 : 10,
    warmupS: quick ? 0.5 : 2,
    connections: 64,
    cacheDir: tmpdir(),
    ...overrides,
  };
}

/** A directory for a cached benchmark log: keyed by its size and the bulk format, so reruns reuse it. */
export function cachedLogDir(options: BenchOptions, entries: number, format: number): string {
  return join(options.cacheDir, `sealtrail-bench-${sizeName(entries)}-v${format}`);
}

/** For directory names: 10000000 → "10m", 1000000 → "1m", 10000 → "10k", 2500 → "2500". */
export function sizeName(entries: number): string {
  if (entries % 1_000_000 === 0) return `${entries / 1_000_000}m`;
  if (entries % 1000 === 0) return `${entries / 1000}k`;
  return String(entries);
}

/** For the table: 10000000 → "10M", 10000 → "10k". */
export const sizeLabel = (entries: number): string => sizeName(entries).replace(/m$/, 'M');
