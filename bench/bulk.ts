/**
 * @module
 * Builds big logs for the read and scale benchmarks (P3: 1,000,000 entries, P5: 10,000,000) fast and
 * honestly: in-process, through the real sequencer and the real LevelDB store, so the result is
 * exactly what a server that had logged as many records would hold (records salted, committed and
 * encrypted, leaves, leaf-hash index, tiles, a signed tree head; every pass one synced batch). What is
 * skipped is HTTP and the receipts: nobody is waiting for them. Every entry is the ~1 KB, 13-field
 * benchmark record (bench/http.ts RECORD) with fresh salts, so every record digest and leaf hash is
 * distinct. Passes take up to 4096 entries instead of the server's 1024: fewer fsyncs and signed
 * heads along the way, the same entries, records and tiles at the end.
 *
 * Built logs are cached under a directory keyed by size and BULK_FORMAT (e.g.
 * /tmp/sealtrail-bench-10m-v1), so reruns reuse them; an interrupted build resumes where it stopped.
 * A cached log is opened and checked (signed head, root recomputed from the stored edge) before it is
 * reused; one that fails the check is rebuilt.
 *
 * Usage: npm run build && node dist/bench/bulk.js --entries 10000000 [--dir DIR]
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { dataPaths, initLog, loadKeys, openLog, openStore, requireMasterKey } from '../src/cli/datadir.js';
import { RightEdge } from '../src/log/edge.js';
import { Log } from '../src/log/log.js';
import { prepareRecord } from '../src/log/prepare.js';
import { Sequencer } from '../src/log/sequencer.js';
import type { PreparedRecord, SequencedEntry, SequencerObserver, SequencerOptions } from '../src/log/sequencer.js';
import { parseRecord } from '../src/record/index.js';
import type { RecordField } from '../src/record/index.js';
import type { LevelStore } from '../src/storage/level.js';
import type { LogStore } from '../src/storage/types.js';
import { RECORD } from './http.js';
import { benchOptions, cachedLogDir } from './options.js';
import type { BenchOptions } from './options.js';
import { fmt, progress } from './table.js';

/**
 * Bump when what a built log holds changes (the record, the submitter, a store layout the store
 * cannot migrate), so that cached logs of the old kind are not reused. A layout the store migrates
 * at open (layout 1 to 2: entry bundles) needs no bump: the cached log is migrated when first opened.
 */
export const BULK_FORMAT = 1;

export const BULK_SUBMITTER = 'bench-submitter';
const ORIGIN_PREFIX = 'bench.sealtrail.example';

/** Records per submission, and passes of up to this many entries (four submissions). */
const SUBMISSION = 1024;
const BULK_SEQUENCER: SequencerOptions = { maxBatchEntries: 4 * SUBMISSION, maxDelayMs: 1, maxPendingEntries: 1 << 20 };
const IN_FLIGHT = 6;

export interface BuiltLog {
  readonly dir: string;
  /** The data directory to give `sealtrail serve --data`. */
  readonly dataDir: string;
  readonly entries: number;
  /** Total bytes of every leaf_input in the log. */
  readonly leafInputBytes: number;
  /** Total bytes of the submitted record bodies (the JSON each entry was made from). */
  readonly recordBodyBytes: number;
  /** Seconds spent appending (summed over resumed builds); 0 when nothing was built this time. */
  readonly buildSeconds: number;
  /** True if the log was already built and only checked. */
  readonly reused: boolean;
}

/**
 * What the log itself cannot tell: its target size, the leaf_input bytes appended so far and the time
 * spent. Written every few seconds during a build (so that an interrupted build resumes) and once
 * the log is complete and checked.
 */
interface Marker {
  readonly format: number;
  readonly entries: number;
  readonly complete: boolean;
  /** The tree size when the marker was written, and the bytes of its leaf_inputs. */
  readonly size: number;
  readonly leafInputBytes: number;
  readonly buildSeconds: number;
}

const markerPath = (dir: string): string => join(dir, 'bench-log.json');

async function readMarker(dir: string): Promise<Marker | undefined> {
  try {
    return JSON.parse(await readFile(markerPath(dir), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

/** The fields of the benchmark record, parsed once; each entry salts and commits them afresh. */
export function benchFields(): RecordField[] {
  return parseRecord(new TextEncoder().encode(RECORD));
}

/** `count` records as the API would prepare them (fresh salts, so every leaf hash is distinct). */
export function prepareRecords(fields: readonly RecordField[], count: number): PreparedRecord[] {
  const out: PreparedRecord[] = [];
  for (let i = 0; i < count; i++) out.push(prepareRecord(fields, undefined));
  return out;
}

/**
 * A sequencer on an open log directory, as Log.open would build it, without the API or receipts.
 * `storeFor` may stand something in front of the store the sequencer writes to (P6's reference run
 * discards the writes).
 */
export async function openSequencer(
  dataDir: string,
  options: SequencerOptions,
  extras: { readonly observer?: SequencerObserver; readonly storeFor?: (store: LevelStore) => LogStore } = {},
): Promise<{ sequencer: Sequencer; store: LevelStore; size: number }> {
  const { observer, storeFor } = extras;
  const paths = dataPaths(dataDir);
  const { signer } = await loadKeys(dataDir);
  const store = await openStore(paths.db, (await requireMasterKey(dataDir)).key);
  try {
    const head = await store.readHead();
    if (!head) throw new Error(`no log in ${dataDir}`);
    const edge = await RightEdge.load(head.size, store);
    const sequencer = new Sequencer(
      { store: storeFor ? storeFor(store) : store, signer, origin: signer.name, now: Date.now, head, edge, onPublish: () => {}, ...(observer ? { observer } : {}) },
      options,
    );
    return { sequencer, store, size: head.size };
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** Creates a new, empty log in `dataDir` (its master key beside it, as `sealtrail init` does). */
export async function createLog(dataDir: string, name: string): Promise<void> {
  await initLog(dataDir, `${ORIGIN_PREFIX}/${name}`);
}

/**
 * Opens the log the way the server does and checks it (Log.open verifies the signed head and the
 * root recomputed from the stored right edge). Returns its size and how long opening took.
 */
export async function openAndCheck(dataDir: string): Promise<{ size: number; openMs: number }> {
  const started = performance.now();
  const { log } = await openLog(dataDir);
  const openMs = performance.now() - started;
  const size = log.head.size;
  await log.close();
  return { size, openMs };
}

/**
 * Appends records until the log in `dataDir` has `target` entries. Keeps several submissions in
 * flight so that the next pass is always pooled while one is being written. Returns the bytes of
 * the leaf_inputs appended.
 */
export async function appendUntil(
  dataDir: string,
  target: number,
  report: (size: number, appendedLeafInputBytes: number) => void = () => {},
): Promise<number> {
  const { sequencer, store, size } = await openSequencer(dataDir, BULK_SEQUENCER);
  const fields = benchFields();
  let next = size;
  let leafInputBytes = 0;
  const inFlight = new Set<Promise<void>>();
  try {
    while (next < target || inFlight.size > 0) {
      while (next < target && inFlight.size < IN_FLIGHT) {
        const count = Math.min(SUBMISSION, target - next);
        next += count;
        const p: Promise<void> = sequencer.submit(BULK_SUBMITTER, prepareRecords(fields, count)).then((entries: SequencedEntry[]) => {
          for (const e of entries) leafInputBytes += e.appended?.leafInput.length ?? 0;
          inFlight.delete(p);
          // Submissions complete in order (one pass at a time, in pool order).
          report(entries[entries.length - 1]!.index + 1, leafInputBytes);
        });
        inFlight.add(p);
      }
      await Promise.race(inFlight);
    }
  } finally {
    await sequencer.close();
    await store.close();
  }
  return leafInputBytes;
}

/**
 * The log of `entries` entries under `dir` (built, resumed, or reused). Prints progress every few
 * seconds while building.
 */
export async function buildLog(dir: string, entries: number): Promise<BuiltLog> {
  const dataDir = join(dir, 'data');
  const recordBodyBytes = Buffer.byteLength(RECORD) * entries;
  const marker = await readMarker(dir);
  let resumed: { size: number; leafInputBytes: number; buildSeconds: number } | undefined;
  if (marker?.format === BULK_FORMAT && marker.entries === entries) {
    try {
      const { size } = await openAndCheck(dataDir);
      if (marker.complete && size === entries) {
        return { dir, dataDir, entries, leafInputBytes: marker.leafInputBytes, recordBodyBytes, buildSeconds: 0, reused: true };
      }
      // An interrupted build. Passes may have been committed after the marker was last written:
      // every leaf_input here has the same length (one submitter, one kind, times of one width).
      if (!marker.complete && size >= marker.size && size <= entries && marker.size > 0) {
        resumed = { size, leafInputBytes: (marker.leafInputBytes / marker.size) * size, buildSeconds: marker.buildSeconds };
        progress(`resuming the build of ${dir} at ${fmt(size)} entries`);
      }
    } catch (e) {
      progress(`the cached log in ${dir} does not open (${(e as Error).message}); rebuilding it`);
    }
  }
  if (!resumed) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await createLog(dataDir, `${entries}`);
    resumed = { size: 0, leafInputBytes: 0, buildSeconds: 0 };
  }

  const started = performance.now();
  const seconds = (): number => resumed.buildSeconds + (performance.now() - started) / 1000;
  let lastReport = started;
  let lastDone = resumed.size;
  let writing: Promise<void> = Promise.resolve();
  const leafInputBytes =
    resumed.leafInputBytes +
    (await appendUntil(dataDir, entries, (done, appendedBytes) => {
      const now = performance.now();
      if (now - lastReport < 5000) return;
      const rate = ((done - lastDone) / (now - lastReport)) * 1000;
      const eta = rate > 0 ? (entries - done) / rate : Number.POSITIVE_INFINITY;
      progress(`building the ${fmt(entries)}-entry log in ${dir}: ${fmt(done)} (${fmt(rate)} entries/s, ~${Math.ceil(eta)} s to go)`);
      lastReport = now;
      lastDone = done;
      const partial: Marker = { format: BULK_FORMAT, entries, complete: false, size: done, leafInputBytes: resumed.leafInputBytes + appendedBytes, buildSeconds: seconds() };
      writing = writing.then(() => writeFile(markerPath(dir), `${JSON.stringify(partial, null, 2)}\n`));
    }));
  await writing;
  const buildSeconds = seconds();
  // Checked like a reused one, and only then marked complete.
  const { size } = await openAndCheck(dataDir);
  if (size !== entries) throw new Error(`the built log has ${size} entries, expected ${entries}`);
  const complete: Marker = { format: BULK_FORMAT, entries, complete: true, size, leafInputBytes, buildSeconds };
  await writeFile(markerPath(dir), `${JSON.stringify(complete, null, 2)}\n`);
  return { dir, dataDir, entries, leafInputBytes, recordBodyBytes, buildSeconds, reused: false };
}

/** The cached log of `entries` entries (bench/options.ts cachedLogDir), built if need be. */
export async function cachedLog(entries: number, options: BenchOptions): Promise<BuiltLog> {
  return buildLog(cachedLogDir(options, entries, BULK_FORMAT), entries);
}

async function main(argv: string[]): Promise<void> {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const entries = Number(flag('--entries') ?? 1_000_000);
  if (!Number.isSafeInteger(entries) || entries <= 0) throw new Error('--entries must be a positive integer');
  const dir = flag('--dir') ?? cachedLogDir(benchOptions(false), entries, BULK_FORMAT);
  const built = await buildLog(dir, entries);
  console.log(
    built.reused
      ? `reused the ${fmt(entries)}-entry log in ${built.dir}`
      : `built a ${fmt(entries)}-entry log in ${built.dir} in ${built.buildSeconds.toFixed(1)} s (${fmt(entries / built.buildSeconds)} entries/s)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
