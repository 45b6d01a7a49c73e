/**
 * @module
 * What the log acknowledged, and the checks run against it after every restart:
 *
 * - every receipt verifies offline (src/client/receipt.ts: record, salts, leaf, the checkpoint's
 *   signature, the inclusion proof) and names the submitter that sent it;
 * - every acknowledged entry is in the restarted log at its index with the same leaf_input;
 * - no index was handed out for two different leaves, no idempotency key for two entries, and no
 *   tree size was signed with two roots;
 * - the restarted log's checkpoint is consistent with every checkpoint seen before (RFC 6962
 *   consistency proofs from the log, verified with src/merkle).
 */
import { verifyReceipt, ReceiptError } from '../../src/client/receipt.js';
import { verifyConsistency } from '../../src/merkle/index.js';
import { openCheckpoint, parseCheckpoint, parseVerifierKey, verifyTreeHead } from '../../src/note/index.js';
import type { Ed25519NoteVerifier } from '../../src/note/index.js';
import { fromBase64, toBase64, utf8 } from '../../src/util/bytes.js';
import { forEachConcurrently, getJson, getText } from './http.js';
import { Failures } from './report.js';

/** A receipt as the log returned it (PROTOCOL §4), with what it was for. */
interface Acknowledged {
  readonly receipt: { leaf_index: number; leaf_input: string; checkpoint: string };
  readonly recordText: string;
  readonly submitter: string;
}

/** What one check after a restart found. */
export interface LogCheck {
  readonly treeSize: number;
  readonly receiptsVerified: number;
  readonly entriesFound: number;
  readonly consistencyProofs: number;
}

const MAX_ENTRIES_PER_READ = 1000;

export class LogLedger {
  /** Receipts returned (idempotent repeats included), and how many of them verified. */
  receipts = 0;
  receiptsVerified = 0;
  private readonly verifier: Ed25519NoteVerifier;
  /** leaf_index → leaf_input (base64) and who it was handed to, for every acknowledged entry. */
  private readonly byIndex = new Map<number, { leafInput: string; submitter: string }>();
  private largestIndex = -1;
  /** submitter + idempotency key → leaf_index. */
  private readonly byKey = new Map<string, number>();
  /** tree size → root (base64), for every signed checkpoint seen. */
  private readonly rootBySize = new Map<number, string>();
  /** Receipts not yet verified (verified in the next check, while no load is running). */
  private unverified: Acknowledged[] = [];
  /** Checkpoints seen since the last check, not yet proven consistent with a later one. */
  private unproven = new Map<number, Uint8Array>();
  /** The checkpoint of the last check: every checkpoint seen before it is consistent with it. */
  private anchor: { size: number; rootHash: Uint8Array } | undefined;

  constructor(
    readonly verifierKey: string,
    private readonly failures: Failures,
  ) {
    this.verifier = parseVerifierKey(verifierKey);
  }

  /** Distinct entries acknowledged. */
  get entries(): number {
    return this.byIndex.size;
  }

  /**
   * Records a receipt the moment it is returned. Index reuse and idempotency-key reuse are caught
   * here; everything else is checked by {@link check}.
   */
  acknowledge(submitter: string, key: string | undefined, recordText: string, receipt: unknown): void {
    this.receipts++;
    const r = receipt as Acknowledged['receipt'] | undefined;
    if (typeof r !== 'object' || r === null || !Number.isSafeInteger(r.leaf_index) || typeof r.leaf_input !== 'string' || typeof r.checkpoint !== 'string') {
      this.failures.add('receipt', `a receipt for ${submitter} is not a receipt (PROTOCOL §4): ${JSON.stringify(receipt).slice(0, 200)}`);
      return;
    }
    const prior = this.byIndex.get(r.leaf_index);
    if (prior === undefined) {
      this.byIndex.set(r.leaf_index, { leafInput: r.leaf_input, submitter });
      this.largestIndex = Math.max(this.largestIndex, r.leaf_index);
    } else if (prior.leafInput !== r.leaf_input) {
      this.failures.add('index', `index ${r.leaf_index} was handed out twice, for two different leaves (to ${prior.submitter}, then to ${submitter})`);
    }
    if (key !== undefined) {
      const scoped = `${submitter}\u0000${key}`;
      const earlier = this.byKey.get(scoped);
      if (earlier === undefined) this.byKey.set(scoped, r.leaf_index);
      else if (earlier !== r.leaf_index) {
        this.failures.add('idempotency', `idempotency key ${JSON.stringify(key)} of ${submitter} was acknowledged as entry ${earlier} and again as entry ${r.leaf_index}`);
      }
    }
    this.unverified.push({ receipt: r, recordText, submitter });
  }

  /** The checks after a restart (with no load running), against the log at `url`. */
  async check(url: string): Promise<LogCheck> {
    // The log's own view first: its checkpoint and tree head, both signed, for the same tree.
    const note = await getText(`${url}/checkpoint`);
    if (note.status !== 200) throw new Error(`GET /checkpoint answered ${note.status}: ${note.text.slice(0, 200)}`);
    let latest;
    try {
      latest = openCheckpoint(note.text, this.verifier).checkpoint;
    } catch (e) {
      this.failures.add('checkpoint', `the restarted log's checkpoint does not verify with its key: ${(e as Error).message}`);
      return { treeSize: -1, receiptsVerified: 0, entriesFound: 0, consistencyProofs: 0 };
    }
    const sth = await getJson(`${url}/ct/v1/get-sth`);
    const sthRoot = fromBase64(String(sth.sha256_root_hash));
    const sthSignature = fromBase64(String(sth.tree_head_signature));
    if (sth.tree_size !== latest.size || !sthRoot || toBase64(sthRoot) !== toBase64(latest.rootHash)) {
      this.failures.add('checkpoint', `get-sth (size ${sth.tree_size}) and /checkpoint (size ${latest.size}) disagree after the restart`);
    } else if (!sthSignature || !verifyTreeHead(this.verifier, Number(sth.timestamp), latest.size, latest.rootHash, sthSignature)) {
      this.failures.add('checkpoint', `the tree head signature of get-sth (size ${latest.size}) does not verify with the log's key`);
    }

    const receiptsVerified = this.verifyReceipts();
    this.noteCheckpoint(latest.size, latest.rootHash);
    const consistencyProofs = await this.proveConsistency(url, latest.size, latest.rootHash);
    const entriesFound = await this.findEntries(url, latest.size);
    return { treeSize: latest.size, receiptsVerified, entriesFound, consistencyProofs };
  }

  private verifyReceipts(): number {
    const pending = this.unverified;
    this.unverified = [];
    const checkpoints = new Map<string, { size: number; rootHash: Uint8Array }>();
    for (const { receipt, recordText, submitter } of pending) {
      try {
        const verified = verifyReceipt(receipt, utf8(recordText), this.verifierKey);
        if (verified.submitter !== submitter) {
          this.failures.add('receipt', `the receipt of entry ${receipt.leaf_index}, returned to ${submitter}, names ${verified.submitter} as its submitter`);
        }
        this.receiptsVerified++;
      } catch (e) {
        const step = e instanceof ReceiptError ? `${e.step}: ` : '';
        this.failures.add('receipt', `the receipt of entry ${receipt.leaf_index} returned to ${submitter} does not verify (${step}${(e as Error).message})`);
        continue;
      }
      // Verified above, so its text parses; many receipts share one checkpoint.
      if (!checkpoints.has(receipt.checkpoint)) {
        const { size, rootHash } = parseCheckpoint(receipt.checkpoint.slice(0, receipt.checkpoint.indexOf('\n\n') + 1));
        checkpoints.set(receipt.checkpoint, { size, rootHash });
      }
    }
    for (const { size, rootHash } of checkpoints.values()) this.noteCheckpoint(size, rootHash);
    return pending.length;
  }

  /** A signed checkpoint seen: one size has one root, ever. */
  private noteCheckpoint(size: number, rootHash: Uint8Array): void {
    const root = toBase64(rootHash);
    const known = this.rootBySize.get(size);
    if (known === undefined) this.rootBySize.set(size, root);
    else if (known !== root) this.failures.add('checkpoint', `the log signed two different roots for tree size ${size} (${known} and ${root})`);
    this.unproven.set(size, rootHash);
  }

  /**
   * Proves the latest checkpoint consistent with every checkpoint seen since the last check and
   * with that check's checkpoint. Consistency is transitive (each proof shows one tree is a prefix
   * of the other), so by induction the latest is consistent with every checkpoint ever seen,
   * without asking for a proof from each of them at every restart.
   */
  private async proveConsistency(url: string, size: number, rootHash: Uint8Array): Promise<number> {
    const earlier = [...this.unproven].map(([s, r]) => ({ size: s, rootHash: r }));
    if (this.anchor) earlier.push(this.anchor);
    this.unproven = new Map();
    let proofs = 0;
    await forEachConcurrently(earlier, 8, async (old) => {
      if (old.size > size) {
        this.failures.add('consistency', `a checkpoint of tree size ${old.size} was handed out, but after the restart the log has only ${size} entries`);
        return;
      }
      if (old.size === size || old.size === 0) return; // same size: one root, checked above; size 0: a prefix of every tree
      const json = await getJson(`${url}/ct/v1/get-sth-consistency?first=${old.size}&second=${size}`);
      const proof = Array.isArray(json.consistency) ? json.consistency.map((h: unknown) => fromBase64(String(h))) : undefined;
      try {
        if (!proof || proof.some((h: Uint8Array | undefined) => h === undefined)) throw new Error('the proof is not a list of base64 hashes');
        verifyConsistency(old.size, size, old.rootHash, rootHash, proof);
        proofs++;
      } catch (e) {
        this.failures.add('consistency', `the log's checkpoint of size ${size} is not proven consistent with the earlier one of size ${old.size}: ${(e as Error).message}`);
      }
    });
    this.anchor = { size, rootHash };
    return proofs;
  }

  /** Reads every entry up to the largest acknowledged index; each acknowledged one must be there unchanged. */
  private async findEntries(url: string, size: number): Promise<number> {
    let found = 0;
    for (let start = 0; start <= Math.min(this.largestIndex, size - 1); ) {
      const json = await getJson(`${url}/ct/v1/get-entries?start=${start}&end=${Math.min(start + MAX_ENTRIES_PER_READ, size) - 1}`);
      const entries = Array.isArray(json.entries) ? (json.entries as { leaf_input?: unknown }[]) : [];
      if (entries.length === 0) throw new Error(`get-entries from ${start} returned no entries although the tree has ${size}`);
      entries.forEach((entry, i) => {
        const acknowledged = this.byIndex.get(start + i);
        if (acknowledged === undefined) return;
        if (entry.leaf_input === acknowledged.leafInput) found++;
        else this.failures.add('entries', `entry ${start + i}, acknowledged to ${acknowledged.submitter}, has a different leaf_input in the restarted log`);
      });
      start += entries.length;
    }
    for (const [index, { submitter }] of this.byIndex) {
      if (index >= size) this.failures.add('entries', `entry ${index} was acknowledged to ${submitter}, but the restarted log has only ${size} entries`);
    }
    return found;
  }
}
