/**
 * @module
 * Poll mode: for each configured log with a URL, fetch its checkpoint, fetch the consistency proof
 * from the last cosigned size, and hand both to {@link Witness.addCheckpoint}, the same core, lock
 * and commit point as push mode.
 *
 * What is evidence here (issue 3 §6): the log's own signed checkpoint, larger than the cosigned
 * one, for which the log itself answers with no valid consistency proof on every attempt; or a
 * signed checkpoint of the cosigned size with another root (recorded by the core at once).
 * Unavailability (network, timeouts, non-200 answers, a checkpoint the log key did not sign, a
 * checkpoint smaller than the cosigned one) is retried with backoff and reported, never evidence.
 */
import { NoteError } from '../note/index.js';
import type { WitnessLogConfig } from './config.js';
import { openSubmission } from './core.js';
import { WitnessError } from './errors.js';
import type { OfferedProof } from './evidence.js';
import { LogUnavailable, fetchCheckpoint, fetchConsistency } from './logclient.js';
import type { Witness } from './witness.js';

export interface WatchOptions {
  /** Tries per log per round (default 4). */
  readonly attempts?: number;
  /** Delay before the second try; doubled before each further one, up to 30 s (default 1000). */
  readonly retryDelayMs?: number;
  /** Per HTTP request (default 10,000). */
  readonly timeoutMs?: number;
  /** Aborts waits and requests (e.g. on SIGTERM). */
  readonly signal?: AbortSignal;
}

export type LogOutcome =
  | { readonly origin: string; readonly status: 'cosigned'; readonly size: number; readonly previousSize: number }
  | { readonly origin: string; readonly status: 'fork'; readonly evidenceFile: string; readonly reason: string }
  | { readonly origin: string; readonly status: 'refused'; readonly evidenceFile: string }
  | { readonly origin: string; readonly status: 'unavailable'; readonly error: string };

const MAX_RETRY_DELAY_MS = 30_000;

export class Watcher {
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal | undefined;

  constructor(
    private readonly witness: Witness,
    options: WatchOptions = {},
  ) {
    this.attempts = options.attempts ?? 4;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.signal = options.signal;
    if (!Number.isSafeInteger(this.attempts) || this.attempts < 1) throw new RangeError(`attempts must be a positive integer, got ${this.attempts}`);
  }

  /** The logs poll mode checks: those with a URL. */
  get polledLogs(): readonly (WitnessLogConfig & { url: string })[] {
    return this.witness.configuredLogs.filter((log): log is WitnessLogConfig & { url: string } => log.url !== undefined);
  }

  /** One round: every polled log, concurrently (they are independent). */
  round(): Promise<LogOutcome[]> {
    return Promise.all(this.polledLogs.map((log) => this.check(log)));
  }

  /** Checks one log, with retries. */
  async check(log: WitnessLogConfig & { url: string }): Promise<LogOutcome> {
    const { origin, url } = log;
    const refusal = await this.witness.refusal(origin);
    if (refusal) return { origin, status: 'refused', evidenceFile: refusal.evidenceFile };

    const offered: OfferedProof[] = [];
    let lastProblem = 'no attempt was made';
    // Evidence needs every attempt to end with the log's 200 answer holding no valid proof.
    let everyAttemptUnprovable = true;
    let lastUnprovable = { note: '', cosignedSize: 0 };
    const logs = new Map([[origin, log]]);

    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (attempt > 1 && !(await this.pause(Math.min(this.retryDelayMs * 2 ** (attempt - 2), MAX_RETRY_DELAY_MS)))) break;
      const fetchOptions = { timeoutMs: this.timeoutMs, signal: this.signal };
      try {
        const note = await fetchCheckpoint(url, fetchOptions);
        // Verify the log's signature before anything else (other lines, e.g. cosignatures, ignored).
        const { checkpoint } = openSubmission({ oldSize: 0, proof: [], note }, logs);
        const state = await this.witness.latest(origin);
        const cosignedSize = state?.size ?? 0;
        if (checkpoint.size < cosignedSize) {
          // A rollback or a stale replica: without a proof between the two, not evidence.
          throw new LogUnavailable(`the log serves tree size ${checkpoint.size}, smaller than the cosigned ${cosignedSize}`);
        }
        let proof: readonly Uint8Array[] = [];
        let encoded: readonly string[] = [];
        if (cosignedSize > 0 && checkpoint.size > cosignedSize) {
          const answer = await fetchConsistency(url, cosignedSize, checkpoint.size, fetchOptions);
          if (answer.kind === 'noProof') {
            offered.push({ first: cosignedSize, second: checkpoint.size, from: 'log', consistency: answer.encoded, outcome: answer.outcome });
            lastUnprovable = { note, cosignedSize };
            lastProblem = `the log gave no valid consistency proof from ${cosignedSize} to ${checkpoint.size}: ${answer.outcome}`;
            continue;
          }
          proof = answer.proof;
          encoded = answer.encoded;
        }
        try {
          const { state: now } = await this.witness.addCheckpoint({ oldSize: cosignedSize, proof, note }, 'poll');
          return { origin, status: 'cosigned', size: now.size, previousSize: cosignedSize };
        } catch (e) {
          if (!(e instanceof WitnessError)) throw e;
          if (e.code === 'refused') return { origin, status: 'refused', evidenceFile: e.evidenceFile! };
          // Same size, another root: the core has recorded the evidence.
          if (e.evidenceFile !== undefined) return { origin, status: 'fork', evidenceFile: e.evidenceFile, reason: e.message };
          if (e.code === 'inconsistent') {
            offered.push({ first: cosignedSize, second: checkpoint.size, from: 'log', consistency: encoded, outcome: e.message });
            lastUnprovable = { note, cosignedSize };
            lastProblem = e.message;
            continue;
          }
          // 409: a push moved the state meanwhile; the next attempt starts from it.
          everyAttemptUnprovable = false;
          lastProblem = e.message;
        }
      } catch (e) {
        if (e instanceof LogUnavailable || e instanceof NoteError) {
          everyAttemptUnprovable = false;
          lastProblem = e.message;
          continue;
        }
        if (e instanceof WitnessError) {
          // The checkpoint served is not signed by the configured key, or is malformed.
          everyAttemptUnprovable = false;
          lastProblem = `the log's checkpoint was refused: ${e.message}`;
          continue;
        }
        throw e;
      }
    }

    if (everyAttemptUnprovable && offered.length === this.attempts) {
      const reason =
        `the log serves a signed checkpoint of tree size ${offered[offered.length - 1]!.second} but, on ${this.attempts} attempts, ` +
        `no valid consistency proof from the cosigned tree size ${lastUnprovable.cosignedSize}`;
      const file = await this.witness.recordUnprovable(origin, lastUnprovable.cosignedSize, lastUnprovable.note, offered, reason);
      if (file !== undefined) return { origin, status: 'fork', evidenceFile: file, reason };
    }
    return { origin, status: 'unavailable', error: lastProblem };
  }

  /** Waits `ms`; false if aborted. */
  private pause(ms: number): Promise<boolean> {
    return sleep(ms, this.signal);
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
