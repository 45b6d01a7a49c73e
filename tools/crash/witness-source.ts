/**
 * @module
 * The log a crashed witness cosigns: a real `sealtrail serve` process (never killed here) that a
 * background client keeps growing, one add-entries call at a time, so that every tree size it
 * reaches has a checkpoint signed by the log. Consistency proofs come from the log itself. Forged
 * checkpoints (signed with the log's own key, read from its data directory, over a root the log
 * never had) test that the witness cosigns nothing it was not proven.
 */
import { randomBytes } from 'node:crypto';
import { loadKeys } from '../../src/cli/datadir.js';
import { verifyConsistency } from '../../src/merkle/index.js';
import { openCheckpoint, parseVerifierKey, signCheckpoint } from '../../src/note/index.js';
import type { Ed25519NoteVerifier, NoteSigner } from '../../src/note/index.js';
import { fromBase64, toBase64 } from '../../src/util/bytes.js';
import { getJson, request } from './http.js';
import { sleep } from './process.js';
import type { Random } from './random.js';

export interface SignedCheckpoint {
  readonly size: number;
  /** Base64. */
  readonly root: string;
  /** The note as the log signed it. */
  readonly note: string;
}

export class CheckpointSource {
  /** Every tree size the log has signed, ascending, and its checkpoint. */
  readonly sizes: number[] = [];
  private readonly bySize = new Map<number, SignedCheckpoint>();
  private readonly proofs = new Map<string, Promise<Uint8Array[]>>();
  private readonly verifier: Ed25519NoteVerifier;
  private growing: Promise<void> | undefined;
  private stopGrowing = false;
  private readonly run = randomBytes(4).toString('hex');
  private sequence = 0;

  private constructor(
    readonly url: string,
    private readonly token: string,
    readonly verifierKey: string,
    private readonly signer: NoteSigner,
  ) {
    this.verifier = parseVerifierKey(verifierKey);
  }

  /** For the log served at `url` from data directory `dir`. */
  static async open(url: string, dir: string, token: string): Promise<CheckpointSource> {
    const { signer, verifierKey } = await loadKeys(dir);
    const source = new CheckpointSource(url, token, verifierKey, signer);
    const note = await request(`${url}/checkpoint`);
    if (note.kind === 'failed' || note.status !== 200) throw new Error(`cannot read the checkpoint of the log at ${url}`);
    source.add(note.text);
    return source;
  }

  get origin(): string {
    return this.signer.name;
  }

  get newest(): SignedCheckpoint {
    return this.bySize.get(this.sizes[this.sizes.length - 1]!)!;
  }

  at(size: number): SignedCheckpoint | undefined {
    return this.bySize.get(size);
  }

  /** Appends 1 to 4 entries in one call; the receipt's checkpoint is the log's at the new size. */
  async grow(rng: Random): Promise<void> {
    const records = Array.from({ length: rng.int(1, 4) }, () =>
      JSON.stringify({ event_id: `witness-crash-${this.run}-${this.sequence++}`, model: 'gpt-5.1', verdict: rng.chance(0.1) ? 'block' : 'allow' }),
    );
    const outcome = await request(`${this.url}/ct/v1/add-entries`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: `[${records.join(',')}]`,
    });
    if (outcome.kind === 'failed') throw new Error(`the log at ${this.url} failed to answer add-entries: ${outcome.code}`);
    if (outcome.status !== 200) throw new Error(`the log at ${this.url} answered add-entries with ${outcome.status}: ${outcome.text.slice(0, 300)}`);
    const receipts = JSON.parse(outcome.text).receipts as { checkpoint: string }[];
    this.add(receipts[receipts.length - 1]!.checkpoint);
  }

  /** Keeps growing the log every few tens of milliseconds until {@link stop}. */
  startGrowing(rng: Random, onError: (e: Error) => void): void {
    this.growing = (async () => {
      while (!this.stopGrowing) {
        await this.grow(rng);
        await sleep(rng.int(5, 40));
      }
    })().catch(onError);
  }

  async stop(): Promise<void> {
    this.stopGrowing = true;
    await this.growing;
  }

  /** The log's RFC 6962 consistency proof between two of its sizes (fetched once). */
  proof(first: number, second: number): Promise<Uint8Array[]> {
    const key = `${first}-${second}`;
    let proof = this.proofs.get(key);
    if (!proof) {
      proof = getJson(`${this.url}/ct/v1/get-sth-consistency?first=${first}&second=${second}`).then((json) =>
        (json.consistency as string[]).map((h) => fromBase64(h)!),
      );
      this.proofs.set(key, proof);
    }
    return proof;
  }

  /**
   * Whether `rootHash` is the log's root at `size`: by lookup for a size seen in this run, else (a
   * witness state from an earlier run on the same --data) by the log's consistency proof from it
   * to the newest checkpoint.
   */
  async isLogRoot(size: number, rootHash: Uint8Array): Promise<boolean> {
    const known = this.bySize.get(size);
    if (known !== undefined) return known.root === toBase64(rootHash);
    const newest = this.newest;
    if (size > newest.size) return false;
    try {
      verifyConsistency(size, newest.size, rootHash, fromBase64(newest.root)!, await this.proof(size, newest.size));
      return true;
    } catch {
      return false;
    }
  }

  /** A checkpoint of `size` signed with the log's key over a random root: a fork nobody can prove. */
  forge(size: number, rng: Random): SignedCheckpoint {
    const rootHash = rng.bytes(32);
    return { size, root: toBase64(rootHash), note: signCheckpoint({ origin: this.origin, size, rootHash, extensions: [] }, this.signer) };
  }

  /** Records a checkpoint the log signed (its signature verified once, here). */
  private add(note: string): void {
    const { checkpoint } = openCheckpoint(note, this.verifier);
    if (this.bySize.has(checkpoint.size)) return;
    if (this.sizes.length > 0 && checkpoint.size < this.sizes[this.sizes.length - 1]!) throw new Error(`the log went from size ${this.sizes[this.sizes.length - 1]} back to ${checkpoint.size}`);
    this.sizes.push(checkpoint.size);
    this.bySize.set(checkpoint.size, { size: checkpoint.size, root: toBase64(checkpoint.rootHash), note });
  }
}
