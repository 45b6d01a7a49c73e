/**
 * Smoke test of every benchmark module in quick mode, with the shortest loads: it checks that each
 * one still runs end to end against the real server and produces real figures (rows present, numbers
 * finite and positive, no failed requests). It asserts no speed: on a shared machine that would be
 * noise. Needs the build (dist/), which `npm test` makes first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runP1 } from './http.js';
import { microTable, runMicro } from './micro.js';
import { benchOptions } from './options.js';
import type { BenchOptions } from './options.js';
import { runP2 } from './p2.js';
import { runP3 } from './p3.js';
import { runP4 } from './p4.js';
import { quantile } from './paced.js';
import { directoryBytes, runP5 } from './p5.js';
import { runP6 } from './p6.js';
import { selection } from './run.js';
import { table } from './table.js';
import type { Row } from './table.js';

let options: BenchOptions;
let cacheDir: string;

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'sealtrail-bench-smoke-'));
  options = benchOptions(true, { durationS: 0.5, warmupS: 0, connections: 8, cacheDir });
});

afterAll(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

/** Every figure behind the rows is a real, positive number, and the table prints them all. */
function expectFigures(rows: readonly Row[], prefix: string, keys: readonly string[] = ['ours']): void {
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    expect(row.target.startsWith(prefix)).toBe(true);
    expect(row.verdict).not.toMatch(/error|failed/);
  }
  const measured = rows.filter((r) => r.values !== undefined);
  expect(measured.length).toBeGreaterThan(0);
  for (const key of keys) {
    const value = measured[0]!.values![key];
    expect(Number.isFinite(value), `${prefix} ${key} = ${value}`).toBe(true);
    expect(value).toBeGreaterThan(0);
  }
  expect(table(rows)).toContain(rows[0]!.ours);
}

describe('benchmarks (quick mode)', () => {
  it('micro: every task timed, per-operation figures positive', async () => {
    const { rows, results } = await runMicro(options);
    expect(results.length).toBeGreaterThanOrEqual(15);
    for (const r of results) {
      expect(Number.isFinite(r.nsPerOp) && r.nsPerOp > 0, `${r.group}: ${r.task}`).toBe(true);
    }
    expectFigures(rows, 'micro', ['ours', 'baseline']);
    expect(microTable(results).split('\n')).toHaveLength(results.length + 2);
  });

  let p1Max = 0;
  it('P1: add-entry against bare Hono', async () => {
    const { rows, ours, bare } = await runP1(options);
    expectFigures(rows, 'P1', ['ours', 'baseline', 'ratio', 'entries']);
    expect(ours.errors + ours.non2xx).toBe(0);
    expect(bare.errors + bare.non2xx).toBe(0);
    // Every answered request is an entry in the log.
    expect(ours.entries).toBeGreaterThanOrEqual(ours.requests);
    p1Max = ours.requestsPerSecond;
  });

  it('P2: add-entries against hypercore, synced and not', async () => {
    // A batch of 100 can take longer than the other benchmarks' half-second loads on a busy machine.
    const { rows } = await runP2({ ...options, durationS: 2 });
    expectFigures(rows, 'P2', ['ours', 'baseline']);
    expect(rows[0]!.values!['entries']! % 100).toBe(0);
    expectFigures(rows.slice(1), 'P2', ['baseline']);
  });

  it('P3: proofs on a built log against the bare GET ceiling', async () => {
    const { rows, proofByHash, consistency, bare } = await runP3(options);
    expectFigures(rows, 'P3', ['ours', 'baseline', 'ratio']);
    for (const load of [proofByHash, consistency, bare]) {
      expect(load.requests).toBeGreaterThan(0);
      expect(load.errors + load.non2xx).toBe(0);
    }
  });

  it('P4: latency at half the P1 rate, evenly paced', async () => {
    const { rows, rate, achieved, p50, p99 } = await runP4(options, p1Max || 100);
    expectFigures(rows, 'P4', ['rate', 'achieved', 'limit']);
    expect(rate).toBeGreaterThan(0);
    expect(achieved).toBeGreaterThan(0);
    expect(Number.isFinite(p99)).toBe(true);
    expect(p99).toBeGreaterThanOrEqual(p50);
    // The paced generator sent what the rate and duration call for, and every one was answered.
    const values = rows[0]!.values!;
    expect(values['sent']).toBe(Math.max(1, Math.round(rate * options.durationS)));
    expect(values['ok']).toBe(values['sent']);
  });

  it('quantile: nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile(values, 1)).toBe(100);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('P5: memory, latency, size and start-up of a larger log against a smaller one', async () => {
    const { rows, large, small, largeBuild } = await runP5(options);
    expectFigures(rows, 'P5', ['ours', 'baseline']);
    for (const served of [large, small]) {
      expect(served.peakRssBytes).toBeGreaterThan(10e6);
      expect(served.p50).toBeGreaterThan(0);
      expect(served.startupMs).toBeGreaterThan(0);
      expect(served.openMs).toBeGreaterThan(0);
      expect(served.failures).toBe(0);
    }
    expect(large.entries).toBeGreaterThan(small.entries);
    expect(largeBuild.leafInputBytes).toBeGreaterThan(large.entries * 32);
    // Each entry keeps at least its leaf_input and its sealed ~1 KB record.
    expect(large.dataBytes).toBeGreaterThan(large.entries * 1000);
    expect(await directoryBytes(largeBuild.dataDir)).toBeGreaterThan(0);
  });

  it('P6: the sequencer in-process, one fsync per pass', async () => {
    const { rows, entriesPerSecond, passes } = await runP6(options);
    expectFigures(rows, 'P6', ['ours', 'entries', 'passes', 'seconds']);
    expect(entriesPerSecond).toBeGreaterThan(0);
    expect(passes).toBeGreaterThanOrEqual(2);
  });

  it('--only names benchmarks in any case and refuses unknown ones', () => {
    expect(selection('p3,P6,Micro')).toEqual(['P3', 'P6', 'micro']);
    expect(selection(undefined)).toHaveLength(7);
    expect(() => selection('P7')).toThrow(/unknown benchmark "P7"/);
  });
});
