/**
 * `npm run bench`: runs the benchmarks of the performance issue and prints one table: target, our
 * figure, the baseline measured in the same run, the ratio, and whether the target is met. Progress
 * goes to stderr, the table to stdout.
 *
 *   npm run bench                         everything (the first run builds and caches the big logs)
 *   npm run bench -- --only P3,P6         a subset: micro, P1 … P6 (P4 runs P1 too: it needs its rate)
 *   npm run bench -- --quick              tiny sizes and 1 s loads: checks that everything works
 *   npm run bench -- --duration 20        seconds per measured HTTP load (default 10)
 *   npm run bench -- --cache-dir DIR      where the built logs are cached (default: the OS temp dir)
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runP1 } from './http.js';
import { runMicro } from './micro.js';
import { benchOptions } from './options.js';
import type { BenchOptions } from './options.js';
import { runP2 } from './p2.js';
import { runP3 } from './p3.js';
import { runP4 } from './p4.js';
import { runP5 } from './p5.js';
import { runP6 } from './p6.js';
import { machine } from './process.js';
import { progress, table } from './table.js';
import type { Row } from './table.js';

export const BENCHMARKS = ['micro', 'P1', 'P2', 'P3', 'P4', 'P5', 'P6'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

/** Parses `--only micro,P1,…` (any case). */
export function selection(only: string | undefined): BenchmarkName[] {
  if (only === undefined) return [...BENCHMARKS];
  const names = only.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return names.map((name) => {
    const found = BENCHMARKS.find((b) => b.toLowerCase() === name.toLowerCase());
    if (!found) throw new Error(`--only: unknown benchmark ${JSON.stringify(name)}; choose from ${BENCHMARKS.join(', ')}`);
    return found;
  });
}

/** Runs the selected benchmarks in order; one that fails gets a row saying so, and the rest still run. */
export async function runBenchmarks(selected: readonly BenchmarkName[], options: BenchOptions): Promise<{ rows: Row[]; failed: number }> {
  const rows: Row[] = [];
  let failed = 0;
  let p1Max: number | undefined;
  const attempt = async (name: BenchmarkName, fn: () => Promise<{ rows: Row[] }>): Promise<void> => {
    try {
      rows.push(...(await fn()).rows);
    } catch (error) {
      failed++;
      progress(`${name} failed: ${(error as Error).stack ?? String(error)}`);
      rows.push({ target: `${name}`, ours: '', baseline: '', ratio: '', verdict: `error: ${(error as Error).message.split('\n')[0]}` });
    }
  };
  const wants = (name: BenchmarkName): boolean => selected.includes(name);

  if (wants('micro')) await attempt('micro', () => runMicro(options));
  if (wants('P1') || wants('P4')) {
    await attempt('P1', async () => {
      const p1 = await runP1(options);
      p1Max = p1.ours.requestsPerSecond;
      return p1;
    });
  }
  if (wants('P2')) await attempt('P2', () => runP2(options));
  if (wants('P3')) await attempt('P3', () => runP3(options));
  if (wants('P4')) {
    await attempt('P4', async () => {
      if (p1Max === undefined) throw new Error('P1 failed, so there is no rate to take half of');
      return runP4(options, p1Max);
    });
  }
  if (wants('P5')) await attempt('P5', () => runP5(options));
  if (wants('P6')) await attempt('P6', () => runP6(options));
  return { rows, failed };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      'cache-dir': { type: 'string' },
    },
  });
  const overrides: { durationS?: number; cacheDir?: string } = {};
  if (values.duration !== undefined) {
    overrides.durationS = Number(values.duration);
    if (!(overrides.durationS > 0)) throw new Error(`--duration must be a positive number of seconds, got ${JSON.stringify(values.duration)}`);
  }
  if (values['cache-dir'] !== undefined) overrides.cacheDir = values['cache-dir'];
  const options = benchOptions(values.quick ?? false, overrides);
  const selected = selection(values.only);
  const started = performance.now();
  const { rows, failed } = await runBenchmarks(selected, options);
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  const mode = options.quick ? ' — QUICK MODE: tiny sizes, figures mean nothing' : '';
  console.log(`\nsealtrail benchmarks — ${machine()}, ${new Date().toISOString().slice(0, 10)}, ${minutes} min${mode}\n`);
  console.log(table(rows));
  return failed > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
