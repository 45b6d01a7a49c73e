/**
 * @module
 * The tlog-witness v1.0.0 add-checkpoint decision (PROTOCOL §7), as two pure steps:
 *
 * 1. {@link openSubmission}: what needs no state. The body's format (400), the origin (404), the
 *    log's signature (403), old size ≤ checkpoint size (400). Signature checks run here, outside
 *    the per-origin lock.
 * 2. {@link judge}: the checks against the latest cosigned checkpoint, run under the per-origin lock
 *    by src/witness/witness.ts: a refused log (422), old size ≠ latest (409), same size with another
 *    root (422, and fork evidence: both checkpoints carry the log's signature), the consistency
 *    proof (422).
 *
 * Neither touches storage, a clock or the network.
 */
import { EMPTY_ROOT, ProofError, verifyConsistency } from '../merkle/index.js';
import { NoteError, openCheckpoint, openNote, parseCheckpoint } from '../note/index.js';
import type { Checkpoint } from '../note/index.js';
import { equalBytes, toBase64 } from '../util/bytes.js';
import { WitnessError } from './errors.js';
import type { WitnessLogConfig } from './config.js';
import type { AddCheckpointRequest } from './request.js';
import type { CosignedState, Refusal } from './store.js';

/** A request whose checkpoint is signed by a configured log. */
export interface Submission {
  readonly request: AddCheckpointRequest;
  readonly log: WitnessLogConfig;
  readonly checkpoint: Checkpoint;
  /** The checkpoint text (what a cosignature signs). */
  readonly text: string;
  /**
   * The note with only the signature lines the log's key verified. tlog-witness: the witness "MUST
   * ignore signatures from unknown keys", so they are neither checked nor kept.
   */
  readonly logNote: string;
}

export type Verdict =
  | { readonly kind: 'cosign' }
  /** Two checkpoints signed by the log's key that cannot both be true. */
  | { readonly kind: 'fork'; readonly reason: string };

/** Step 1. Throws WitnessError `malformed` (400), `unknownOrigin` (404) or `forbidden` (403). */
export function openSubmission(request: AddCheckpointRequest, logs: ReadonlyMap<string, WitnessLogConfig>): Submission {
  // The note's format first, with no verifier: a malformed body is 400 whatever its origin.
  try {
    openNote(request.note, []);
  } catch (e) {
    if (!(e instanceof NoteError)) throw e;
    if (e.reason !== 'noKnownSignature') throw new WitnessError('malformed', `the checkpoint note: ${e.message}`);
  }
  // signed-note: the last blank line separates the text from the signatures (checked above).
  const text = request.note.slice(0, request.note.lastIndexOf('\n\n') + 1);
  let claimed: Checkpoint;
  try {
    claimed = parseCheckpoint(text);
  } catch (e) {
    if (e instanceof NoteError) throw new WitnessError('malformed', e.message);
    throw e;
  }

  // tlog-witness: "If the checkpoint origin is unknown, the witness MUST respond with a 404".
  const log = logs.get(claimed.origin);
  if (log === undefined) {
    throw new WitnessError('unknownOrigin', `the origin ${JSON.stringify(claimed.origin)} is not a log this witness cosigns`);
  }

  // "If none of the signatures verify against a trusted public key ... 403". Lines of unknown keys
  // are ignored; a line of the log's key that does not verify is refused too.
  let opened;
  try {
    opened = openCheckpoint(request.note, log.verifier);
  } catch (e) {
    if (e instanceof NoteError) throw new WitnessError('forbidden', `no valid signature of the log key ${log.verifier_key}: ${e.message}`);
    throw e;
  }
  const { checkpoint } = opened;

  // "The old size MUST be equal to or lower than the checkpoint size. Otherwise ... 400".
  if (request.oldSize > checkpoint.size) {
    throw new WitnessError('malformed', `old size ${request.oldSize} is larger than the checkpoint's tree size ${checkpoint.size}`);
  }
  const logNote = `${opened.text}\n${opened.verified.map((s) => `${s.line}\n`).join('')}`;
  return { request, log, checkpoint, text: opened.text, logNote };
}

/**
 * Step 2, under the per-origin lock. `state` is the latest cosigned checkpoint (undefined: never
 * cosigned, latest size 0). Returns `cosign`, or `fork` when the submission and `state` are two
 * signed checkpoints of one size with different roots. Throws WitnessError `refused` (422),
 * `conflict` (409) or `inconsistent` (422).
 */
export function judge(submission: Submission, state: CosignedState | undefined, refusal: Refusal | undefined): Verdict {
  const { request, checkpoint } = submission;
  if (refusal !== undefined) {
    throw new WitnessError(
      'refused',
      `the witness refuses ${checkpoint.origin}: fork evidence was recorded in ${refusal.evidenceFile} (${refusal.reason}); ` +
        'an operator must examine it and run: sealtrail witness clear --data DIR --origin ' + checkpoint.origin,
      undefined,
      refusal.evidenceFile,
    );
  }

  // tlog-witness: old size must be the latest cosigned size, "or zero if it never cosigned".
  const latest = state?.size ?? 0;
  if (request.oldSize !== latest) {
    throw new WitnessError('conflict', `old size ${request.oldSize} is not the size of the latest checkpoint this witness cosigned, ${latest}`, latest);
  }

  if (state !== undefined && state.size === checkpoint.size) {
    // PROTOCOL §7: same size with another root is 422 (C2SP's current text; v1.0.0 said 409).
    if (!equalBytes(state.rootHash, checkpoint.rootHash)) {
      return {
        kind: 'fork',
        reason: `two checkpoints of tree size ${checkpoint.size} signed by the log key with different roots (${toBase64(state.rootHash)} cosigned, ${toBase64(checkpoint.rootHash)} now)`,
      };
    }
    // RFC 6962 §2.1.2: the proof between equal sizes is empty.
    if (request.proof.length !== 0) {
      throw new WitnessError('inconsistent', `a consistency proof from size ${checkpoint.size} to itself is empty; ${request.proof.length} lines were sent`);
    }
    return { kind: 'cosign' };
  }

  if (request.oldSize === 0) {
    // tlog-witness: "The proof MUST be empty if the old size is zero."
    if (request.proof.length !== 0) {
      throw new WitnessError('inconsistent', `old size is 0, so the consistency proof must be empty; ${request.proof.length} lines were sent`);
    }
    // PROTOCOL §1: the empty tree has one root; a signed size-0 checkpoint with another is false.
    if (checkpoint.size === 0 && !equalBytes(checkpoint.rootHash, EMPTY_ROOT)) {
      throw new WitnessError('inconsistent', `a checkpoint of tree size 0 must have the empty root ${toBase64(EMPTY_ROOT)}`);
    }
    return { kind: 'cosign' };
  }

  // 0 < old size = latest < checkpoint size: RFC 6962 §2.1.2 from our root to the new one.
  try {
    verifyConsistency(request.oldSize, checkpoint.size, state!.rootHash, checkpoint.rootHash, request.proof);
  } catch (e) {
    if (e instanceof ProofError || e instanceof RangeError || e instanceof TypeError) {
      throw new WitnessError('inconsistent', `the consistency proof from size ${request.oldSize} to ${checkpoint.size} does not verify: ${e.message}`);
    }
    throw e;
  }
  return { kind: 'cosign' };
}
