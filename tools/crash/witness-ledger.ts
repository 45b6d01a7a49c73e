/**
 * @module
 * What the witness acknowledged (every cosignature it returned, kept), and the checks run against
 * it after every restart:
 *
 * - its cosigned state is at least every size it acknowledged, and at least what it served at the
 *   previous check: it never goes backwards (spec/witness.md §1.2);
 * - that state, and every cosignature it returned, verify with its key, on a checkpoint the log
 *   signed with the root the log signed for that size;
 * - it never cosigned two roots for one size;
 * - cosignature times never go backwards: a cosignature of a larger tree is never older than one
 *   of a smaller tree (the state only grows, so the larger was committed later);
 * - a request from old size 0 is answered 409 with exactly the state it serves.
 */
import { openCheckpoint, openNote, parseVerifierKey, cosignatureTimestamp } from '../../src/note/index.js';
import type { Ed25519NoteVerifier } from '../../src/note/index.js';
import { formatAddCheckpoint } from '../../src/witness/request.js';
import { originHash } from '../../src/witness/witness.js';
import { request } from './http.js';
import type { Failures } from './report.js';
import type { CheckpointSource, SignedCheckpoint } from './witness-source.js';

interface Returned {
  readonly checkpoint: SignedCheckpoint;
  /** The 200 body: the cosignature line(s). */
  readonly lines: string;
}

export interface WitnessCheck {
  /** The size of the cosigned state the witness serves (0 if none). */
  readonly witnessSize: number;
  readonly cosignaturesVerified: number;
}

export class WitnessLedger {
  cosignatures = 0;
  cosignaturesVerified = 0;
  forgeriesRefused = 0;
  conflicts = 0;
  /** The largest size the witness answered 200 for. */
  maxAcknowledged = 0;
  private readonly witnessVerifier: Ed25519NoteVerifier;
  private readonly logVerifier: Ed25519NoteVerifier;
  private readonly rootBySize = new Map<number, string>();
  /** Per size, the earliest and latest cosignature time (seconds) among verified cosignatures. */
  private readonly timesBySize = new Map<number, { min: number; max: number }>();
  private latestTime = 0;
  private unverified: Returned[] = [];
  /** The state served at the last check. */
  private lastServed = 0;

  constructor(
    readonly witnessVerifierKey: string,
    private readonly source: CheckpointSource,
    private readonly failures: Failures,
  ) {
    this.witnessVerifier = parseVerifierKey(witnessVerifierKey);
    this.logVerifier = parseVerifierKey(source.verifierKey);
  }

  /** A 200 for an honest checkpoint; `oldSize` was the request's, `acknowledgedBefore` the largest size acknowledged before it was sent. */
  acknowledge(checkpoint: SignedCheckpoint, oldSize: number, acknowledgedBefore: number, lines: string): void {
    this.cosignatures++;
    // The witness had durably cosigned `acknowledgedBefore` before this request left, and it
    // accepts only its latest size as the old size: a smaller one means its state went back.
    if (oldSize < acknowledgedBefore) {
      this.failures.add('backwards', `the witness cosigned size ${checkpoint.size} from old size ${oldSize} after it had acknowledged size ${acknowledgedBefore}`);
    }
    const known = this.rootBySize.get(checkpoint.size);
    if (known === undefined) this.rootBySize.set(checkpoint.size, checkpoint.root);
    else if (known !== checkpoint.root) this.failures.add('cosignature', `the witness cosigned two roots for tree size ${checkpoint.size} (${known} and ${checkpoint.root})`);
    this.maxAcknowledged = Math.max(this.maxAcknowledged, checkpoint.size);
    this.unverified.push({ checkpoint, lines });
  }

  /** A 200 for a forged checkpoint: the one thing a witness must never do. */
  cosignedForgery(forged: SignedCheckpoint, oldSize: number): void {
    this.cosignatures++;
    this.failures.add(
      'cosignature',
      `the witness cosigned a forged checkpoint of size ${forged.size} (root ${forged.root}, which the log never signed) from old size ${oldSize} without a valid consistency proof`,
    );
  }

  /** A 409: the witness says its latest cosigned size is `size`. */
  conflict(size: number, acknowledgedBefore: number): void {
    this.conflicts++;
    if (size < acknowledgedBefore) this.failures.add('backwards', `the witness answered 409 with latest size ${size} after it had acknowledged size ${acknowledgedBefore}`);
    if (size > this.source.newest.size) this.failures.add('answer', `the witness answered 409 with latest size ${size}, larger than any tree the log has signed (${this.source.newest.size})`);
  }

  /** The checks after a restart, with no load running. */
  async check(url: string): Promise<WitnessCheck> {
    const cosignaturesVerified = this.verifyCosignatures();
    const served = await request(`${url}/${originHash(this.source.origin)}/checkpoint`);
    if (served.kind === 'failed') throw new Error(`GET the witness's cosigned checkpoint failed: ${served.code}`);
    let size = 0;
    if (served.status === 404) {
      if (this.maxAcknowledged > 0) this.failures.add('backwards', `after the restart the witness has no cosigned checkpoint, but it had acknowledged size ${this.maxAcknowledged}`);
    } else if (served.status !== 200) {
      this.failures.add('answer', `GET the witness's cosigned checkpoint answered ${served.status}: ${served.text.slice(0, 200)}`);
      return { witnessSize: -1, cosignaturesVerified };
    } else {
      try {
        const { checkpoint } = openCheckpoint(served.text, this.logVerifier);
        const { verified } = openNote(served.text, [this.witnessVerifier]);
        size = checkpoint.size;
        const time = cosignatureTimestamp(verified[0]!.signature) ?? -1;
        if (size < this.maxAcknowledged) this.failures.add('backwards', `after the restart the witness's state is size ${size}, but it had acknowledged size ${this.maxAcknowledged}`);
        if (size < this.lastServed) this.failures.add('backwards', `after the restart the witness's state is size ${size}, smaller than the size ${this.lastServed} it served before`);
        if (!(await this.source.isLogRoot(size, checkpoint.rootHash))) {
          this.failures.add('cosignature', `the witness's state is a checkpoint of size ${size} whose root the log never signed`);
        }
        if (time < this.latestTime) this.failures.add('cosignature', `the witness's state was cosigned at ${time}, before a cosignature it returned earlier (${this.latestTime})`);
      } catch (e) {
        this.failures.add('cosignature', `the witness's cosigned checkpoint does not verify with the log's and the witness's keys: ${(e as Error).message}`);
      }
    }
    this.lastServed = Math.max(this.lastServed, size);

    // From old size 0, a witness that has cosigned must refuse with its latest size.
    if (size > 0) {
      const probe = await request(`${url}/add-checkpoint`, { method: 'POST', body: formatAddCheckpoint({ oldSize: 0, proof: [], note: this.source.newest.note }) });
      if (probe.kind === 'failed') throw new Error(`POST /add-checkpoint to the witness failed: ${probe.code}`);
      if (probe.status !== 409 || probe.text !== `${size}\n`) {
        this.failures.add('answer', `add-checkpoint from old size 0 answered ${probe.status} ${JSON.stringify(probe.text.slice(0, 100))}, not 409 with the size it serves (${size})`);
      }
    }
    return { witnessSize: size, cosignaturesVerified };
  }

  private verifyCosignatures(): number {
    const pending = this.unverified;
    this.unverified = [];
    for (const { checkpoint, lines } of pending) {
      let time: number | undefined;
      try {
        const { verified } = openNote(checkpoint.note + lines, [this.witnessVerifier]);
        time = cosignatureTimestamp(verified[0]!.signature);
        if (time === undefined) throw new Error('the cosignature carries no timestamp');
      } catch (e) {
        this.failures.add('cosignature', `a cosignature of size ${checkpoint.size} does not verify with the witness's key: ${(e as Error).message}`);
        continue;
      }
      this.cosignaturesVerified++;
      this.latestTime = Math.max(this.latestTime, time);
      const range = this.timesBySize.get(checkpoint.size);
      this.timesBySize.set(checkpoint.size, range ? { min: Math.min(range.min, time), max: Math.max(range.max, time) } : { min: time, max: time });
    }
    let latestOfSmaller = 0;
    let smaller = 0;
    for (const size of [...this.timesBySize.keys()].sort((a, b) => a - b)) {
      const { min, max } = this.timesBySize.get(size)!;
      if (min < latestOfSmaller) {
        this.failures.add('cosignature', `a cosignature of size ${size} has time ${min}, earlier than one of the smaller size ${smaller} (${latestOfSmaller})`);
      }
      if (max >= latestOfSmaller) {
        latestOfSmaller = max;
        smaller = size;
      }
    }
    return pending.length;
  }
}
