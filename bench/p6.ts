/**
 * @module
 * P6: the sequencer in-process, one fsync per pass, on a fresh log; ≥ 200,000 entries/s. Measured
 * two ways, each timed from the first pass to the last durable one:
 *
 * - **pre-built leaves** (what the target names): leaf_inputs built beforehand; each pass of 1024
 *   hashes them, integrates them into the right edge, signs the checkpoint and STH, and writes the
 *   tree half of a pass (entry bundles, leaf-hash index, tiles, signed head: LevelStore.appendLeaves)
 *   in one synced batch; as in the sequencer, a pass is prepared while the previous one is written.
 *   No records: a real pass also stores each entry's sealed record.
 * - **prepared records** (the whole pass the server runs): records salted and committed beforehand,
 *   as the API hands them over, submitted 1024 at a time to the real Sequencer with default pass
 *   settings; each pass also builds the leaves, seals the records and writes them, the event_id
 *   index and everything above, in one synced batch.
 *
 * Reference rows: the prepared-records run against a store that discards the pass writes (the
 * sequencer's own CPU work), and the machine's ceiling for each write: LevelDB alone taking synced
 * batches of the same shape (per pass, as many keys of each kind, of the same mean sizes, as the
 * measured run stored), built beforehand so that only LevelDB is timed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { dataPaths, loadKeys, openStore, requireMasterKey } from '../src/cli/datadir.js';
import { RightEdge } from '../src/log/edge.js';
import { DEFAULT_SEQUENCER_OPTIONS, signHead } from '../src/log/sequencer.js';
import type { PreparedRecord, SequencerObserver } from '../src/log/sequencer.js';
import { hashLeaf } from '../src/merkle/index.js';
import { encodeLeaf } from '../src/record/index.js';
import { syncedBatch } from '../src/storage/level.js';
import type { LevelStore } from '../src/storage/level.js';
import type { LogStore } from '../src/storage/types.js';
import { BULK_SUBMITTER, benchFields, createLog, openSequencer, prepareRecords } from './bulk.js';
import type { BenchOptions } from './options.js';
import { fmt, progress, times, verdict } from './table.js';
import type { Row } from './table.js';

const TARGET = 200_000;
const SUBMISSION = 1024;
/** Entries per pass: the server's default maximum. */
const PASS = DEFAULT_SEQUENCER_OPTIONS.maxBatchEntries;
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
  /** What the run stored, by kind of key (its first byte), for the LevelDB ceiling. */
  readonly shape: StoreShape;
}

/** Per kind of key: how many were stored, and their mean key and value sizes. */
type StoreShape = ReadonlyMap<number, { readonly count: number; readonly keyBytes: number; readonly valueBytes: number }>;

/** Runs `f` on a fresh log in a temporary directory, then measures what it stored, and removes it. */
async function onFreshLog<T>(f: (dataDir: string) => Promise<T>): Promise<{ result: T; shape: StoreShape }> {
  const dir = await mkdtemp(join(tmpdir(), 'sealtrail-bench-p6-'));
  try {
    const dataDir = join(dir, 'data');
    await createLog(dataDir, 'p6');
    const result = await f(dataDir);
    return { result, shape: await storeShape(dataPaths(dataDir).db) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Counts and mean sizes of the keys in the store at `path`, by kind (first byte); metadata ('m') left out. */
async function storeShape(path: string): Promise<StoreShape> {
  const db = new Level<Buffer, Buffer>(path, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const sums = new Map<number, { count: number; keyBytes: number; valueBytes: number }>();
  try {
    for await (const [key, value] of db.iterator()) {
      if (key[0] === 0x6d) continue;
      const s = sums.get(key[0]!) ?? { count: 0, keyBytes: 0, valueBytes: 0 };
      s.count += 1;
      s.keyBytes += key.length;
      s.valueBytes += value.length;
      sums.set(key[0]!, s);
    }
  } finally {
    await db.close();
  }
  return new Map([...sums].map(([k, s]) => [k, { count: s.count, keyBytes: s.keyBytes / s.count, valueBytes: s.valueBytes / s.count }]));
}

/** Sequences `submissions` of prepared records; with `discard`, the pass writes go nowhere. */
async function sequenceRecords(submissions: readonly PreparedRecord[][], discard: boolean): Promise<Sequenced> {
  const entries = submissions.reduce((n, s) => n + s.length, 0);
  const { result, shape } = await onFreshLog(async (dataDir) => {
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
    return { seconds, passes };
  });
  return { entriesPerSecond: entries / result.seconds, ...result, shape };
}

/** `count` distinct leaf_inputs as a pass would build them (one timestamp, fresh record digests). */
function buildLeaves(count: number): Uint8Array[] {
  const time = Date.now();
  const digests = randomBytes(32 * count);
  return Array.from({ length: count }, (_, i) => encodeLeaf({ kind: 'record', time, submitter: BULK_SUBMITTER, record: digests.subarray(32 * i, 32 * i + 32) }));
}

/**
 * Appends pre-built leaves in passes of PASS: hash, integrate, sign, and write the tree half in one
 * synced batch, each prepared while the previous one is written, as the sequencer runs them. Checks the
 * stored log after.
 */
async function sequenceLeaves(leaves: readonly Uint8Array[]): Promise<Sequenced> {
  const { result, shape } = await onFreshLog(async (dataDir) => {
    const { signer } = await loadKeys(dataDir);
    const store = await openStore(dataPaths(dataDir).db, (await requireMasterKey(dataDir)).key);
    let passes = 0;
    let seconds: number;
    try {
      let edge = await RightEdge.load(0, store);
      let written: Promise<void> = Promise.resolve();
      const started = performance.now();
      for (let from = 0; from < leaves.length; from += PASS) {
        // As the sequencer overlaps passes: this one is prepared while the previous one is written,
        // and written once that is durable.
        const leafInputs = leaves.slice(from, from + PASS);
        const leafHashes = leafInputs.map(hashLeaf);
        const { edge: next, changed } = edge.extend(leafHashes);
        const head = signHead(signer, signer.name, next.size, next.root(), Date.now());
        await written;
        written = store.appendLeaves({ firstIndex: edge.size, leafInputs, leafHashes, tiles: changed, head });
        edge = next;
        passes++;
      }
      await written;
      seconds = (performance.now() - started) / 1000;
      const stored = await store.readHead();
      const reloaded = await RightEdge.load(leaves.length, store);
      if (stored?.size !== leaves.length || !Buffer.from(reloaded.root()).equals(Buffer.from(stored.rootHash))) {
        throw new Error(`the stored tree (size ${stored?.size}) is not the ${leaves.length} leaves appended`);
      }
    } finally {
      await store.close();
    }
    return { seconds, passes };
  });
  return { entriesPerSecond: leaves.length / result.seconds, ...result, shape };
}

/**
 * LevelDB alone: `passes` synced batches, each with the `shape`'s keys divided evenly among them,
 * of the same mean sizes (index-ordered keys for the kinds keyed by index, random ones for the
 * kinds keyed by a hash), all built before the clock starts. Returns entries/s for `entries`.
 */
async function levelCeiling(shape: StoreShape, passes: number, entries: number): Promise<number> {
  const hashed = new Set([0x68, 0x78, 0x69]); // leaf hash, event_id, idempotency
  const batches: { type: 'put'; key: Buffer; value: Buffer }[][] = Array.from({ length: passes }, () => []);
  for (const [kind, { count, keyBytes, valueBytes }] of shape) {
    const keyLength = Math.round(keyBytes);
    const value = randomBytes(Math.round(valueBytes));
    for (let n = 0; n < count; n++) {
      const key = hashed.has(kind) ? randomBytes(keyLength) : Buffer.alloc(keyLength);
      key[0] = kind;
      if (!hashed.has(kind)) key.writeUInt32BE(n, keyLength - 4);
      batches[Math.floor((n * passes) / count)]!.push({ type: 'put', key, value });
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'sealtrail-bench-p6-level-'));
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', maxOpenFiles: 64 });
  try {
    await db.open();
    const started = performance.now();
    for (const ops of batches) await syncedBatch(db, ops);
    return entries / ((performance.now() - started) / 1000);
  } finally {
    await db.close();
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
  const leafCount = options.quick ? 2 * PASS : 400 * PASS;

  progress(`P6: building ${fmt(leafCount)} leaves, then appending them (passes of ${PASS}, one fsync each)`);
  const leaves = await sequenceLeaves(buildLeaves(leafCount));
  progress('P6: LevelDB alone, batches of the same shape');
  const leavesCeiling = await levelCeiling(leaves.shape, leaves.passes, leafCount);

  progress(`P6: preparing ${fmt(entries)} records`);
  const fields = benchFields();
  const submissions: PreparedRecord[][] = [];
  for (let n = 0; n < entries; n += SUBMISSION) submissions.push(prepareRecords(fields, Math.min(SUBMISSION, entries - n)));
  progress(`P6: sequencing them (passes of ≤ ${PASS}, ${IN_FLIGHT} submissions in flight)`);
  const records = await sequenceRecords(submissions, false);
  progress('P6: LevelDB alone, batches of the same shape');
  const recordsCeiling = await levelCeiling(records.shape, records.passes, entries);
  progress('P6: the same records with a store that discards the writes');
  const discarded = await sequenceRecords(submissions, true);

  return {
    rows: [
      {
        target: `P6 sequencer in-process, pre-built leaves, fsync per pass, entries/s (≥ ${fmt(TARGET)})`,
        ours: fmt(leaves.entriesPerSecond),
        baseline: fmt(TARGET),
        ratio: times(leaves.entriesPerSecond / TARGET),
        verdict: verdict(leaves.entriesPerSecond >= TARGET),
        values: { ours: leaves.entriesPerSecond, entries: leafCount, passes: leaves.passes, seconds: leaves.seconds },
      },
      {
        target: 'P6 (ceiling) LevelDB alone, synced batches of the same shape, entries/s',
        ours: fmt(leaves.entriesPerSecond),
        baseline: fmt(leavesCeiling),
        ratio: times(leaves.entriesPerSecond / leavesCeiling),
        verdict: '',
        values: { ours: leaves.entriesPerSecond, ceiling: leavesCeiling },
      },
      {
        target: 'P6 (whole pass) prepared records: sealed, stored, indexed, entries/s',
        ours: fmt(records.entriesPerSecond),
        baseline: fmt(TARGET),
        ratio: times(records.entriesPerSecond / TARGET),
        verdict: '',
        values: { ours: records.entriesPerSecond, entries, passes: records.passes, seconds: records.seconds },
      },
      {
        target: 'P6 (whole pass, ceiling) LevelDB alone, synced batches of the same shape, entries/s',
        ours: fmt(records.entriesPerSecond),
        baseline: fmt(recordsCeiling),
        ratio: times(records.entriesPerSecond / recordsCeiling),
        verdict: '',
        values: { ours: records.entriesPerSecond, ceiling: recordsCeiling },
      },
      {
        target: 'P6 (whole pass, reference) the store discarding the pass writes, entries/s',
        ours: fmt(discarded.entriesPerSecond),
        baseline: fmt(TARGET),
        ratio: times(discarded.entriesPerSecond / TARGET),
        verdict: '',
        values: { ours: discarded.entriesPerSecond, passes: discarded.passes },
      },
    ],
    entriesPerSecond: leaves.entriesPerSecond,
    passes: leaves.passes,
  };
}
