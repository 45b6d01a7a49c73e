/**
 * @module
 * The witness: cosigns checkpoints of configured logs that are proven consistent with the last one
 * it cosigned, and records fork evidence. Push mode (src/witness/http.ts) and poll mode
 * (src/witness/watch.ts) both go through {@link Witness.addCheckpoint}.
 *
 * Atomicity (tlog-witness: "checking the old size against the latest checkpoint and persisting the
 * new checkpoint must be performed atomically"): read, check and write of one origin's state run
 * under a per-origin in-process lock, and the store is locked against other processes by LevelDB,
 * so two requests from the same old size cannot both win and the state never goes backwards.
 */
import { toBase64, toHex, utf8 } from '../util/bytes.js';
import { sha256 } from '../util/hash.js';
import type { Cosigner } from '../note/index.js';
import { cosignedNote } from './store.js';
import type { CosignedState, Refusal, WitnessStore } from './store.js';
import { judge, openSubmission } from './core.js';
import type { Submission } from './core.js';
import type { WitnessLogConfig } from './config.js';
import { WitnessError } from './errors.js';
import { FORK_EVIDENCE_TYPE, writeEvidence } from './evidence.js';
import type { ForkEvidence, OfferedProof } from './evidence.js';
import type { Logger } from './logger.js';
import { jsonLogger } from './logger.js';
import type { AddCheckpointRequest } from './request.js';
import { NO_ANCHORS } from './trigger.js';
import type { AnchorTrigger } from './trigger.js';

export interface WitnessOptions {
  readonly store: WitnessStore;
  readonly cosigner: Cosigner;
  /** The witness's own verifier key (written into evidence). */
  readonly verifierKey: string;
  readonly logs: readonly WitnessLogConfig[];
  /** Where fork evidence files go (DIR/evidence). */
  readonly evidenceDir: string;
  readonly trigger?: AnchorTrigger;
  readonly logger?: Logger;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
}

/** The answer to a cosigned add-checkpoint. */
export interface Cosigned {
  /** The signature line(s) of the 200 body: `— <name> <base64>\n`. */
  readonly cosignature: string;
  readonly state: CosignedState;
}

/** The conflicting side of a fork: a checkpoint verified against the log's key. */
type Conflicting = Pick<Submission, 'checkpoint' | 'logNote'>;

export class Witness {
  private readonly store: WitnessStore;
  private readonly cosigner: Cosigner;
  private readonly logs: ReadonlyMap<string, WitnessLogConfig>;
  private readonly byOriginHash: ReadonlyMap<string, string>;
  private readonly trigger: AnchorTrigger;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly locks = new Map<string, Promise<void>>();
  private readonly notifications = new Set<Promise<void>>();

  constructor(private readonly options: WitnessOptions) {
    this.store = options.store;
    this.cosigner = options.cosigner;
    this.logs = new Map(options.logs.map((log) => [log.origin, log]));
    this.byOriginHash = new Map(options.logs.map((log) => [originHash(log.origin), log.origin]));
    this.trigger = options.trigger ?? NO_ANCHORS;
    this.logger = options.logger ?? jsonLogger();
    this.now = options.now ?? Date.now;
  }

  get name(): string {
    return this.cosigner.name;
  }

  /** The configured logs, in configuration order. */
  get configuredLogs(): readonly WitnessLogConfig[] {
    return this.options.logs;
  }

  /** The origin whose lowercase hex SHA-256 is `hex`, if configured (tlog-witness monitoring path). */
  originOfHash(hex: string): string | undefined {
    return this.byOriginHash.get(hex);
  }

  latest(origin: string): Promise<CosignedState | undefined> {
    return this.store.readState(origin);
  }

  refusal(origin: string): Promise<Refusal | undefined> {
    return this.store.readRefusal(origin);
  }

  /**
   * tlog-witness add-checkpoint. Resolves with the cosignature once the new state is durable;
   * throws WitnessError with the code of the refusal (see src/witness/errors.ts).
   */
  async addCheckpoint(request: AddCheckpointRequest, detectedBy: 'push' | 'poll' = 'push'): Promise<Cosigned> {
    const submission = openSubmission(request, this.logs);
    const { origin } = submission.checkpoint;
    return this.locked(origin, async () => {
      const [state, refusal] = await Promise.all([this.store.readState(origin), this.store.readRefusal(origin)]);
      const verdict = judge(submission, state, refusal);
      if (verdict.kind === 'fork') {
        const proof: OfferedProof = {
          first: request.oldSize,
          second: submission.checkpoint.size,
          from: detectedBy === 'push' ? 'client' : 'log',
          consistency: request.proof.map(toBase64),
          outcome: 'not needed: the sizes are equal and the roots differ',
        };
        const file = await this.recordFork(submission.log, state!, submission, [proof], verdict.reason, detectedBy);
        throw new WitnessError('inconsistent', `${verdict.reason}: fork evidence recorded in ${file}; this log is refused until an operator clears it`, undefined, file);
      }
      return this.cosign(submission, state);
    });
  }

  /**
   * Poll mode's proof of a fork: the log served `conflicting` (signed by its key, larger than the
   * cosigned checkpoint of `cosignedSize`) and, after retries, no valid consistency proof for it.
   * Returns the evidence file, or undefined if the cosigned state moved meanwhile (then nothing is
   * recorded: the comparison was made against a checkpoint that is no longer the latest).
   */
  async recordUnprovable(
    origin: string,
    cosignedSize: number,
    conflictingNote: string,
    proofs: readonly OfferedProof[],
    reason: string,
  ): Promise<string | undefined> {
    const log = this.logs.get(origin);
    if (log === undefined) throw new RangeError(`${origin} is not a configured log`);
    // Re-verify here rather than trust the caller: evidence must hold two signed checkpoints.
    const conflicting = openSubmission({ oldSize: 0, proof: [], note: conflictingNote }, this.logs);
    return this.locked(origin, async () => {
      const [state, refusal] = await Promise.all([this.store.readState(origin), this.store.readRefusal(origin)]);
      // Only a larger tree can be "unprovable"; anything else is judged by addCheckpoint.
      if (state === undefined || state.size !== cosignedSize || conflicting.checkpoint.size <= state.size) return undefined;
      if (refusal !== undefined) return refusal.evidenceFile;
      return this.recordFork(log, state, conflicting, proofs, reason, 'poll');
    });
  }

  /** Waits for fork notifications in flight, then closes the anchor trigger. The store is the caller's. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.notifications]);
    await this.trigger.close();
  }

  /** Under the origin's lock: timestamp, sign, commit, and only then answer. */
  private async cosign(submission: Submission, previous: CosignedState | undefined): Promise<Cosigned> {
    const { origin, size, rootHash } = submission.checkpoint;
    // Cosignature timestamps never go backwards per origin, even if the clock does, and even
    // across `clear --reset` (the floor is kept apart from the state).
    const floor = Math.max(previous?.cosignedAt ?? 0, await this.store.readTimestampFloor(origin));
    const timestamp = Math.max(Math.floor(this.now() / 1000), floor);
    const cosignature = this.cosigner.cosign(submission.text, timestamp);
    const state: CosignedState = { size, rootHash, logNote: submission.logNote, cosignature, cosignedAt: timestamp };
    await this.store.commitCosigned(origin, state);
    try {
      this.trigger.noteCosigned({ origin, size, rootHash, cosignedNote: cosignedNote(state) });
    } catch (e) {
      this.logger.log('warn', 'the anchor trigger failed on a cosignature', { origin, tree_size: size, error: (e as Error).message });
    }
    return { cosignature, state };
  }

  /** Under the origin's lock: evidence file first, then the refusal, then the log line and the notification. */
  private async recordFork(
    log: WitnessLogConfig,
    cosigned: CosignedState,
    conflicting: Conflicting,
    proofs: readonly OfferedProof[],
    reason: string,
    detectedBy: 'push' | 'poll',
  ): Promise<string> {
    const evidence: ForkEvidence = {
      type: FORK_EVIDENCE_TYPE,
      origin: log.origin,
      reason,
      time: new Date(this.now()).toISOString(),
      detected_by: detectedBy,
      witness: this.options.verifierKey,
      log_verifier_key: log.verifier_key,
      cosigned: {
        tree_size: cosigned.size,
        root_hash: toBase64(cosigned.rootHash),
        checkpoint: cosigned.logNote,
        cosigned_note: cosignedNote(cosigned),
        cosigned_at: cosigned.cosignedAt,
      },
      conflicting: {
        tree_size: conflicting.checkpoint.size,
        root_hash: toBase64(conflicting.checkpoint.rootHash),
        checkpoint: conflicting.logNote,
      },
      proofs,
    };
    // A crash after the file and before the refusal leaves evidence without a refusal: the next
    // conflicting checkpoint records it again. The reverse order could refuse a log with no file.
    const file = await writeEvidence(this.options.evidenceDir, evidence);
    await this.store.refuse(log.origin, { evidenceFile: file, reason, since: this.now() });
    this.logger.log('error', 'fork evidence: the log signed two checkpoints that cannot both be true; refusing it', {
      origin: log.origin,
      evidence: file,
      reason,
      cosigned_size: cosigned.size,
      conflicting_size: conflicting.checkpoint.size,
    });
    const notification = this.trigger.notifyFork(evidence).catch((e: Error) => {
      this.logger.log('warn', 'the fork notification failed', { origin: log.origin, evidence: file, error: e.message });
    });
    this.notifications.add(notification);
    void notification.finally(() => this.notifications.delete(notification));
    return file;
  }

  /** Runs `task` after every earlier task of `origin` has finished (a FIFO mutex per origin). */
  private async locked<T>(origin: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(origin) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.locks.set(origin, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.locks.get(origin) === tail) this.locks.delete(origin);
    }
  }
}

/** tlog-witness monitoring path component: the lowercase hex SHA-256 of the origin. */
export function originHash(origin: string): string {
  return toHex(sha256(utf8(origin)));
}
