/**
 * @module
 * The retention lifecycle job (spec/formats.md §16.5, issue 4 item 4): erases the bodies of records
 * older than their policy's period, each by an ordinary erasure (PROTOCOL §6) with reason and
 * requester `retention`, through the sequencer like any other submission. It never touches the tree
 * otherwise: the erasure entries it appends are the only trace, and every proof still verifies.
 *
 * Leaf times never decrease in index order (the sequencer's timestamp never goes backwards), so for
 * one period P the records expired under P are a prefix of the log. The job keeps one cursor per
 * distinct period length: every entry below the cursor of P is done as far as P is concerned (it is
 * not a record of period P, or it has been erased). A run scans from each cursor and stops at the
 * first entry not yet expired under P, so no run rescans what an earlier run finished.
 */
import { decodeLeaf } from '../record/index.js';
import { LogError } from '../util/errors.js';
import type { LogStore } from '../storage/types.js';
import type { Log } from './log.js';
import { DAY_MS, fieldsToErase, periodDays, periodOf, policyFingerprint } from './retention-policy.js';
import type { RetentionPolicy } from './retention-policy.js';

/** The erasure reason and requester of every erasure the job makes. */
export const RETENTION_REASON = 'retention';
export const RETENTION_REQUESTER = 'retention';
/** The name of the job's state in the store (LogStore.readJobState). */
export const RETENTION_JOB = 'retention';

export interface RetentionJobOptions {
  readonly log: Log;
  /** Where the cursors persist between runs (the log's own store). */
  readonly store: Pick<LogStore, 'readJobState' | 'putJobState'>;
  readonly policy: RetentionPolicy;
  /** Milliseconds since the epoch; injected so tests can age records. */
  readonly now?: () => number;
  /** At most this many erasures per run, so a run never floods the sequencer (default 100). */
  readonly maxErasuresPerRun?: number;
  /** At most this many entries examined per run (default 100000). */
  readonly maxExaminedPerRun?: number;
  /** Told about a run that failed (the next run retries from the stored cursors). */
  readonly report?: (error: unknown) => void;
  /** Told about each scheduled run that finished (logs). */
  readonly onRun?: (report: RetentionRunReport) => void;
}

export const DEFAULT_MAX_ERASURES_PER_RUN = 100;
export const DEFAULT_MAX_EXAMINED_PER_RUN = 100_000;
/** Entries read per store read while scanning. */
const SCAN_CHUNK = 256;
/** Erasures submitted at once: they share sequencing passes without crowding out add-entry. */
const ERASE_CONCURRENCY = 8;

/** One record the run erased (or, in a dry run, would erase). */
export interface RetentionErasure {
  readonly targetIndex: number;
  readonly fields: readonly string[];
  /** The period that expired, in days. */
  readonly periodDays: number;
  /** The leaf time of the record (ms). */
  readonly time: number;
  /** The erasure entry's index; absent in a dry run, or when another erasure got there first. */
  readonly erasureIndex?: number;
}

export interface RetentionRunReport {
  readonly dryRun: boolean;
  readonly erasures: readonly RetentionErasure[];
  /** Entries whose leaf the run decoded. */
  readonly examined: number;
  /** False when a per-run limit stopped the run before it caught up with every period. */
  readonly complete: boolean;
  /** The cursors after the run, by period length in days (what a next run starts from). */
  readonly cursors: Readonly<Record<string, number>>;
}

export interface RunOptions {
  /** List what would be erased; erase nothing and move no cursor. */
  readonly dryRun?: boolean;
  /** Overrides the per-run limits (the CLI runs to completion with Infinity). */
  readonly maxErasures?: number;
  readonly maxExamined?: number;
}

/** The stored state: the fingerprint of the policy the cursors were made under, and the cursors. */
interface JobState {
  readonly policy: string;
  readonly cursors: Record<string, number>;
}

export class RetentionJob {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionRunReport | undefined> | undefined;
  /** Runs, one at a time: a run on demand waits for a scheduled one, and the other way round. */
  private runs: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: RetentionJobOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The cursors to start from. Under a changed policy every cursor restarts from the lowest stored
   * one: the entries below it had expired under every period of the old policy, so they are done
   * under any policy (erased, or nothing of them is erasable); above it the new policy decides.
   */
  async cursors(): Promise<Map<number, number>> {
    const stored = await this.options.store.readJobState(RETENTION_JOB);
    const state = stored === undefined ? undefined : decodeState(stored);
    const fingerprint = policyFingerprint(this.options.policy);
    const values = state ? Object.values(state.cursors) : [];
    const base = values.length > 0 ? Math.min(...values) : 0;
    const out = new Map<number, number>();
    for (const days of periodDays(this.options.policy)) {
      out.set(days, state && state.policy === fingerprint ? (state.cursors[String(days)] ?? base) : base);
    }
    return out;
  }

  /**
   * One run: for each period, scans from its cursor, erases the expired records of that period
   * (all fields but those retention keeps), and stores the cursor after each chunk it finished. A
   * crash between an erasure and the cursor's write only makes the next run look at that record
   * again, and erasing erased fields changes nothing.
   */
  async run(options: RunOptions = {}): Promise<RetentionRunReport> {
    const { log, policy } = this.options;
    const dryRun = options.dryRun ?? false;
    let erasureBudget = options.maxErasures ?? this.options.maxErasuresPerRun ?? DEFAULT_MAX_ERASURES_PER_RUN;
    let examineBudget = options.maxExamined ?? this.options.maxExaminedPerRun ?? DEFAULT_MAX_EXAMINED_PER_RUN;
    const now = this.now();
    const size = log.head.size;
    const cursors = await this.cursors();
    const erasures: RetentionErasure[] = [];
    let examined = 0;
    let complete = true;

    for (const [days, start] of cursors) {
      const cutoff = now - days * DAY_MS;
      let cursor = Math.min(start, size);
      let caughtUp = false;
      while (!caughtUp && cursor < size) {
        if (erasureBudget <= 0 || examineBudget <= 0 || this.closed) break;
        const leaves = await log.entries(cursor, Math.min(size, cursor + Math.min(SCAN_CHUNK, examineBudget)) - 1);
        const targets: RetentionErasure[] = [];
        let next = cursor;
        for (const [offset, leafInput] of leaves.entries()) {
          const index = cursor + offset;
          const leaf = decodeLeaf(leafInput);
          examined += 1;
          examineBudget -= 1;
          // Not yet expired under this period: neither is any later entry (leaf times never decrease).
          if (leaf.time > cutoff) {
            caughtUp = true;
            break;
          }
          if (leaf.kind === 'record') {
            const fields = await log.storedRecord(index, size);
            const erasable = fields && periodOf(policy, fields).days === days ? fieldsToErase(policy, fields) : [];
            if (erasable.length > 0) {
              if (erasureBudget <= 0) break;
              erasureBudget -= 1;
              targets.push({ targetIndex: index, fields: erasable, periodDays: days, time: leaf.time });
            }
          }
          next = index + 1;
        }
        erasures.push(...(dryRun ? targets : await this.erase(targets)));
        if (next === cursor) break;
        cursor = next;
        if (!dryRun) {
          // Only after the chunk's erasures are durable: a crash before this re-examines them.
          cursors.set(days, cursor);
          await this.store(cursors);
        }
      }
      if (!caughtUp && cursor < size) complete = false;
    }
    return { dryRun, erasures, examined, complete, cursors: Object.fromEntries([...cursors].map(([d, c]) => [String(d), c])) };
  }

  /** Runs until a run is complete (no per-run limit is left to stop it). */
  async runToCompletion(options: RunOptions = {}): Promise<RetentionRunReport> {
    return this.run({ maxErasures: Infinity, maxExamined: Infinity, ...options });
  }

  /**
   * One run on demand while the schedule may be running (`POST /v1/retention/run`): it starts once
   * any run in progress has finished, so two runs never scan, erase or move cursors together.
   */
  runNow(options: RunOptions = {}): Promise<RetentionRunReport> {
    if (this.closed) return Promise.reject(new LogError('shutdown', 'the log is shutting down; retention runs no more'));
    const next = this.runs.then(() => this.run(options));
    this.runs = next.catch(() => undefined);
    return next;
  }

  /** Runs now and then every `intervalMs` until `close`; a failed run is reported and retried next time. */
  start(intervalMs: number): void {
    const tick = (): void => {
      if (this.closed) return;
      this.running = this.runNow().then(
        (report) => {
          this.options.onRun?.(report);
          return report;
        },
        (e: unknown) => {
          this.options.report?.(e);
          return undefined;
        },
      );
      void this.running.then(() => {
        this.running = undefined;
        if (!this.closed) {
          this.timer = setTimeout(tick, intervalMs);
          this.timer.unref();
        }
      });
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref();
  }

  /** Stops the schedule; a run in progress stops after its current chunk of erasures. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.runs;
  }

  private async erase(targets: readonly RetentionErasure[]): Promise<RetentionErasure[]> {
    const done: RetentionErasure[] = [];
    for (let i = 0; i < targets.length; i += ERASE_CONCURRENCY) {
      const group = targets.slice(i, i + ERASE_CONCURRENCY);
      const results = await Promise.all(
        group.map((t) =>
          this.options.log.erase({ targetIndex: t.targetIndex, fields: t.fields, reason: RETENTION_REASON, requestedBy: RETENTION_REQUESTER }),
        ),
      );
      results.forEach((r, j) => {
        const t = group[j]!;
        // Fields an admin erased meanwhile are left as they were: report only what this erasure did.
        if (r.receipt) done.push({ ...t, fields: r.outcome.erased, erasureIndex: r.erasureIndex });
      });
    }
    return done;
  }

  private async store(cursors: Map<number, number>): Promise<void> {
    const state: JobState = { policy: policyFingerprint(this.options.policy), cursors: Object.fromEntries([...cursors].map(([d, c]) => [String(d), c])) };
    await this.options.store.putJobState(RETENTION_JOB, Buffer.from(JSON.stringify(state), 'utf8'));
  }
}

function decodeState(bytes: Uint8Array): JobState {
  const state = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  const ok =
    typeof state === 'object' &&
    state !== null &&
    typeof (state as JobState).policy === 'string' &&
    typeof (state as JobState).cursors === 'object' &&
    Object.values((state as JobState).cursors).every((c) => Number.isSafeInteger(c) && c >= 0);
  if (!ok) throw new Error('store is damaged: the retention job state has an unexpected shape');
  return state as JobState;
}
