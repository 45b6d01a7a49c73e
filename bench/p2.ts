/**
 * @module
 * P2: add-entries throughput, batches of 100 records, against hypercore appending the same records
 * in batches of 100 to its own storage, measured in the same run.
 *
 * - sealtrail: a fresh server process; several keep-alive clients POST /ct/v1/add-entries with 100
 *   records each; every batch is answered only after its pass is fsync'd and signed.
 * - hypercore (a devDependency; the newest version that installs here): in this process, the same
 *   number of concurrent appenders each append 100 records (the same bytes, as buffers) to one core
 *   in a temporary directory. Hypercore 11 stores through RocksDB and writes each append as one
 *   write batch to RocksDB's write-ahead log *without* fsync (its storage passes no write options,
 *   so RocksDB's default sync=false applies), and exposes no option to sync. For the same
 *   durability as sealtrail's synced LevelDB batch, each append here is followed by an fdatasync of
 *   RocksDB's current write-ahead log file (append-only, so that makes the append durable); an
 *   append counts only once that returns. The row below it shows hypercore without the fdatasync,
 *   as it runs by default, for reference.
 */
import { open, mkdtemp, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECORD, failures, measure, treeSize, withFreshSealtrail } from './http.js';
import type { BenchOptions } from './options.js';
import { fmt, progress, times, verdict } from './table.js';
import type { Row } from './table.js';

export const BATCH = 100;
/** Concurrent clients (sealtrail) and appenders (hypercore); quick mode uses fewer, so that short loads complete batches. */
const clients = (options: BenchOptions): number => (options.quick ? 2 : 8);

/** The part of hypercore's API used here (it ships no type declarations). */
interface HypercoreCore {
  ready(): Promise<void>;
  append(blocks: Buffer[]): Promise<{ length: number }>;
  close(): Promise<void>;
  readonly length: number;
}
interface HypercoreStorage {
  /** RocksDB; currentWalFile's path is relative to the database directory, `path`. */
  readonly rocks: { readonly path: string; currentWalFile(): Promise<{ path: string }> };
}
interface HypercoreModule {
  new (storage: HypercoreStorage): HypercoreCore;
  defaultStorage(directory: string): HypercoreStorage;
}

const require = createRequire(import.meta.url);

export function loadHypercore(): { Hypercore: HypercoreModule; version: string } {
  const Hypercore = require('hypercore') as HypercoreModule;
  const { version } = require('hypercore/package.json') as { version: string };
  return { Hypercore, version };
}

/**
 * fdatasync of RocksDB's current write-ahead log. If the log was switched since the last call, the
 * previous file is synced too: an append may have gone to it just before the switch.
 */
class WalSync {
  private current: { path: string; file: FileHandle } | undefined;

  constructor(private readonly storage: HypercoreStorage) {}

  async sync(): Promise<void> {
    const { rocks } = this.storage;
    const path = join(rocks.path, (await rocks.currentWalFile()).path);
    const previous = this.current;
    if (previous?.path !== path) {
      this.current = { path, file: await open(path, 'r') };
      if (previous) {
        await previous.file.datasync().catch(() => {}); // already deleted after a flush: its data is in a synced table
        await previous.file.close();
      }
    }
    await this.current!.file.datasync();
  }

  async close(): Promise<void> {
    await this.current?.file.close();
    this.current = undefined;
  }
}

export interface AppendRate {
  readonly entriesPerSecond: number;
  readonly entries: number;
}

/** Appends for warmupS, then counts appends completed (durable, with `durable`) for durationS. */
export async function benchHypercore(options: BenchOptions, durable: boolean): Promise<AppendRate & { version: string }> {
  const { Hypercore, version } = loadHypercore();
  const dir = await mkdtemp(join(tmpdir(), 'sealtrail-bench-hypercore-'));
  const storage = Hypercore.defaultStorage(dir);
  const core = new Hypercore(storage);
  const wal = new WalSync(storage);
  try {
    await core.ready();
    const record = Buffer.from(RECORD);
    const start = performance.now();
    const measureFrom = start + options.warmupS * 1000;
    const until = measureFrom + options.durationS * 1000;
    let counted = 0;
    const appender = async (): Promise<void> => {
      while (performance.now() < until) {
        // A fresh array of buffers per batch, as a caller would hand over new records.
        const blocks = Array.from({ length: BATCH }, () => Buffer.from(record));
        await core.append(blocks);
        if (durable) await wal.sync();
        const now = performance.now();
        if (now >= measureFrom && now < until) counted += BATCH;
      }
    };
    await Promise.all(Array.from({ length: clients(options) }, appender));
    if (core.length < counted) throw new Error(`hypercore has ${core.length} blocks, fewer than the ${counted} counted`);
    return { entriesPerSecond: counted / options.durationS, entries: core.length, version };
  } finally {
    await wal.close();
    await core.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchAddEntries(options: BenchOptions): Promise<AppendRate & { p50: number; p99: number; failed: string | undefined }> {
  const body = `[${Array.from({ length: BATCH }, () => RECORD).join(',')}]`;
  return withFreshSealtrail([], async (server, token) => {
    const load = await measure(
      { ...options, connections: clients(options) },
      {
        url: `${server.url}/ct/v1/add-entries`,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      },
    );
    const entries = await treeSize(server.url);
    return {
      entriesPerSecond: load.requestsPerSecond * BATCH,
      entries,
      p50: load.p50,
      p99: load.p99,
      failed: failures(load),
    };
  });
}

/** P2: add-entries (batches of 100) ≥ 1.0× hypercore appending batches of 100, same durability. */
export async function runP2(options: BenchOptions): Promise<{ rows: Row[] }> {
  const n = clients(options);
  progress(`P2: hypercore, ${n} appenders × ${BATCH} records, fdatasync after each append`);
  const hyper = await benchHypercore(options, true);
  progress('P2: hypercore without fdatasync (its default)');
  const hyperDefault = await benchHypercore(options, false);
  progress(`P2: sealtrail add-entries, ${n} clients × ${BATCH} records`);
  const ours = await benchAddEntries(options);
  const ratio = ours.entriesPerSecond / hyper.entriesPerSecond;
  return {
    rows: [
      {
        target: `P2 add-entries ×${BATCH}, ${n} clients, entries/s (≥ 1.0× hypercore ${hyper.version}, synced)`,
        ours: fmt(ours.entriesPerSecond),
        baseline: fmt(hyper.entriesPerSecond),
        ratio: times(ratio),
        verdict: ours.failed ?? verdict(ratio >= 1),
        values: { ours: ours.entriesPerSecond, baseline: hyper.entriesPerSecond, ratio, entries: ours.entries },
      },
      {
        target: `P2 (reference) hypercore ${hyper.version} without fdatasync, entries/s`,
        ours: fmt(ours.entriesPerSecond),
        baseline: fmt(hyperDefault.entriesPerSecond),
        ratio: times(ours.entriesPerSecond / hyperDefault.entriesPerSecond),
        verdict: '',
        values: { ours: ours.entriesPerSecond, baseline: hyperDefault.entriesPerSecond },
      },
    ],
  };
}
