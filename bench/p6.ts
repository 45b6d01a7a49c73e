/**
 * @module
 * P6: the sequencer alone, in-process, on a fresh log: records prepared beforehand (salted and
 * committed, as the API hands them over), submitted 1024 at a time with a bounded number in flight,
 * default pass settings; each pass builds the leaves, integrates them, signs, and writes everything
 * (leaves, sealed records, leaf-hash index, tiles, head) in one synced batch: one fsync per pass.
 * Timed from the first submission to the last answer; ≥ 200,000 entries/s.
 *
 * A reference row runs the same with a store that discards the pass writes (the sequencer's own CPU
 * work: leaves, tree, signatures), which shows how the time splits between sequencer and storage.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SEQUENCER_OPTIONS } from '../src/log/sequencer.js';
import type { PreparedRecord, SequencerObserver } from '../src/log/sequencer.js';
import type { LevelStore } from '../src/storage/level.js';
import type { LogStore } from '../src/storage/types.js';
import { BULK_SUBMITTER, benchFields, createLog, openSequencer, prepareRecords } from './bulk.js';
import type { BenchOptions } from './options.js';
import { fmt, progress, times, verdict } from './table.js';
import type { Row } from './table.js';

const TARGET = 200_000;
const SUBMISSION = 1024;
/** Submissions in flight: enough that a pass is always pooled, within the default pool capacity. */
const IN_FLIGHT = Math.max(2, Math.floor(DEFAULT_SEQUENCER_OPTIONS.maxPendingEntries / SUBMISSION / 2));

/** The store with `commit` doing nothing: reads still go to it (the sequencer makes none here). */
function discardingCommits(store: LevelStore): LogStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'commit') return async () => {};
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

interface Sequenced {
  readonly entriesPerSecond: number;
  readonly seconds: number;
  readonly passes: number;
}

/** Sequences `submissions` on a fresh log; with `discard`, the pass writes go nowhere. */
async function sequence(submissions: readonly PreparedRecord[][], discard: boolean): Promise<Sequenced> {
  const entries = submissions.reduce((n, s) => n + s.length, 0);
  const dir = await mkdtemp(join(tmpdir(), 'sealtrail-bench-p6-'));
  try {
    const dataDir = join(dir, 'data');
    await createLog(dataDir, 'p6');
    let passes = 0;
    let appended = 0;
    const observer: SequencerObserver = {
      passed: (count) => {
        passes++;
        appended += count;
      },
      failed: () => {},
      refused: () => {},
    };
    const { sequencer, store } = await openSequencer(dataDir, DEFAULT_SEQUENCER_OPTIONS, {
      observer,
      ...(discard ? { storeFor: discardingCommits } : {}),
    });
    let seconds: number;
    try {
      const started = performance.now();
      const inFlight = new Set<Promise<unknown>>();
      for (const records of submissions) {
        if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
        const p: Promise<unknown> = sequencer.submit(BULK_SUBMITTER, records).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
      seconds = (performance.now() - started) / 1000;
    } finally {
      await sequencer.close();
      await store.close();
    }
    if (appended !== entries) throw new Error(`the sequencer appended ${appended} entries, expected ${entries}`);
    return { entriesPerSecond: entries / seconds, seconds, passes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface P6Result {
  readonly rows: Row[];
  readonly entriesPerSecond: number;
  readonly passes: number;
}

export async function runP6(options: BenchOptions): Promise<P6Result> {
  const entries = options.quick ? 2 * SUBMISSION : 100 * SUBMISSION;
  progress(`P6: preparing ${fmt(entries)} records`);
  const fields = benchFields();
  const submissions: PreparedRecord[][] = [];
  for (let n = 0; n < entries; n += SUBMISSION) submissions.push(prepareRecords(fields, Math.min(SUBMISSION, entries - n)));

  progress(`P6: sequencing them (passes of ≤ ${DEFAULT_SEQUENCER_OPTIONS.maxBatchEntries}, ${IN_FLIGHT} submissions in flight)`);
  const real = await sequence(submissions, false);
  progress('P6: the same with a store that discards the writes');
  const discarded = await sequence(submissions, true);
  return {
    rows: [
      {
        target: `P6 sequencer in-process, prepared records, fsync per pass, entries/s (≥ ${fmt(TARGET)})`,
        ours: fmt(real.entriesPerSecond),
        baseline: fmt(TARGET),
        ratio: times(real.entriesPerSecond / TARGET),
        verdict: verdict(real.entriesPerSecond >= TARGET),
        values: { ours: real.entriesPerSecond, entries, passes: real.passes, seconds: real.seconds },
      },
      {
        target: 'P6 passes (fsyncs), mean entries per pass',
        ours: `${fmt(real.passes)}, ${fmt(entries / real.passes)}`,
        baseline: '',
        ratio: '',
        verdict: '',
        values: { passes: real.passes },
      },
      {
        target: 'P6 (reference) the same, the store discarding the pass writes, entries/s',
        ours: fmt(discarded.entriesPerSecond),
        baseline: fmt(TARGET),
        ratio: times(discarded.entriesPerSecond / TARGET),
        verdict: '',
        values: { ours: discarded.entriesPerSecond, passes: discarded.passes },
      },
    ],
    entriesPerSecond: real.entriesPerSecond,
    passes: real.passes,
  };
}
