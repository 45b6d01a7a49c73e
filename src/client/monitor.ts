/**
 * @module
 * Checks a stream of checkpoints from one log the way a monitor does (`sealtrail tail --vkey`):
 * each is signed by the log's key, says what the stream event says, and extends the last one
 * verified, by a consistency proof fetched from the log. A log that fails any of these has shown
 * two views of its history (or a forged checkpoint): that is evidence, not a network problem.
 */
import { toBase64 } from '../util/bytes.js';
import { ProofError, verifyConsistency } from '../merkle/index.js';
import { NoteError, openCheckpoint } from '../note/index.js';
import type { NoteVerifier } from '../note/index.js';
import { LogUnavailable, fetchConsistency } from '../witness/logclient.js';

/** A checkpoint that the log's key did not sign, or that does not extend what was seen before. */
export class MonitorAlert extends Error {
  override readonly name = 'MonitorAlert';
}

export interface VerifiedHead {
  readonly size: number;
  readonly rootHash: Uint8Array;
}

export type MonitorOutcome =
  /** Verified, and consistent with the previous verified head (none for the first). */
  | { readonly kind: 'verified'; readonly head: VerifiedHead; readonly previous: VerifiedHead | undefined }
  /** Signed, but its consistency could not be fetched now: it is checked from the last verified head later. */
  | { readonly kind: 'unchecked'; readonly why: string };

export class CheckpointMonitor {
  private last: VerifiedHead | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly verifier: NoteVerifier,
    private readonly timeoutMs = 30_000,
  ) {}

  get verified(): VerifiedHead | undefined {
    return this.last;
  }

  /**
   * Checks one checkpoint note (and the tree size and root the event claims for it). Throws
   * MonitorAlert on evidence of misbehaviour; answers `unchecked` when the log could not be asked
   * for a proof, so that a network failure is never mistaken for a fork.
   */
  async check(note: string, claimed: { treeSize: number; rootHash: string }, signal?: AbortSignal): Promise<MonitorOutcome> {
    let size: number;
    let rootHash: Uint8Array;
    try {
      ({ size, rootHash } = openCheckpoint(note, this.verifier).checkpoint);
    } catch (e) {
      if (e instanceof NoteError) throw new MonitorAlert(`a checkpoint that does not verify with the log's key: ${e.message}`);
      throw e;
    }
    if (size !== claimed.treeSize || toBase64(rootHash) !== claimed.rootHash) {
      throw new MonitorAlert(
        `the event says tree_size ${claimed.treeSize} root ${claimed.rootHash}, its signed checkpoint says ${size} root ${toBase64(rootHash)}`,
      );
    }
    const previous = this.last;
    const head = { size, rootHash };
    if (previous === undefined || size === previous.size) {
      if (previous && toBase64(previous.rootHash) !== toBase64(rootHash)) {
        throw new MonitorAlert(`two signed checkpoints of tree size ${size} with different roots: ${toBase64(previous.rootHash)} and ${toBase64(rootHash)}`);
      }
      this.last = head;
      return { kind: 'verified', head, previous };
    }
    if (size < previous.size) {
      throw new MonitorAlert(`the log went back from tree size ${previous.size} to ${size}: a signed checkpoint smaller than one it signed before`);
    }
    if (previous.size === 0) {
      // Every tree extends the empty one; there is no proof to ask for.
      this.last = head;
      return { kind: 'verified', head, previous };
    }
    let answer;
    try {
      answer = await fetchConsistency(this.baseUrl, previous.size, size, { timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}) });
    } catch (e) {
      if (e instanceof LogUnavailable) return { kind: 'unchecked', why: e.message };
      throw e;
    }
    if (answer.kind === 'noProof') throw new MonitorAlert(`the log answered no consistency proof from ${previous.size} to ${size}: ${answer.outcome}`);
    try {
      verifyConsistency(previous.size, size, previous.rootHash, rootHash, answer.proof);
    } catch (e) {
      if (e instanceof ProofError) {
        throw new MonitorAlert(`the checkpoint of tree size ${size} does not extend the one of size ${previous.size}: ${e.message}`);
      }
      throw e;
    }
    this.last = head;
    return { kind: 'verified', head, previous };
  }
}
