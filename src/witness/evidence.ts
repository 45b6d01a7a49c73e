/**
 * @module
 * Fork evidence: two checkpoints that both carry valid signatures of a log's key and cannot both be
 * true. Written as one JSON file under `DIR/evidence/` before anything else happens, so that it
 * survives whatever follows; anyone holding the log's verifier key can check it without trusting
 * the witness. Garbage from a client (a bad proof, a stale size) is never written here: a proof is
 * not signed, and anyone can POST.
 *
 *     {"type": "sealtrail.fork-evidence/v1", "origin", "reason", "time", "detected_by",
 *      "witness", "log_verifier_key",
 *      "cosigned": {"tree_size", "root_hash", "checkpoint", "cosigned_note", "cosigned_at"},
 *      "conflicting": {"tree_size", "root_hash", "checkpoint"},
 *      "proofs": [{"first", "second", "from", "consistency", "outcome"}]}
 */
import { link, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '../util/hash.js';
import { toHex, utf8 } from '../util/bytes.js';

export const FORK_EVIDENCE_TYPE = 'sealtrail.fork-evidence/v1';

/** A consistency proof offered for the conflicting checkpoint, and what became of it. */
export interface OfferedProof {
  readonly first: number;
  readonly second: number;
  /** Who offered it: the client of add-checkpoint (push) or the log's get-sth-consistency (poll). */
  readonly from: 'client' | 'log';
  /** Base64 hashes as offered; null when the log answered without a proof. */
  readonly consistency: readonly string[] | null;
  /** Why it did not prove consistency, e.g. "root mismatch: ..." or "HTTP 400: ...". */
  readonly outcome: string;
}

export interface ForkEvidence {
  readonly type: typeof FORK_EVIDENCE_TYPE;
  readonly origin: string;
  readonly reason: string;
  /** When the evidence was recorded (RFC 3339, UTC). */
  readonly time: string;
  readonly detected_by: 'push' | 'poll';
  /** The witness's verifier key. */
  readonly witness: string;
  /** The log key both checkpoints are signed with. */
  readonly log_verifier_key: string;
  /** The latest checkpoint the witness cosigned. */
  readonly cosigned: {
    readonly tree_size: number;
    readonly root_hash: string;
    /** The log-signed note. */
    readonly checkpoint: string;
    /** The same note with the witness's cosignature. */
    readonly cosigned_note: string;
    /** Seconds since the epoch. */
    readonly cosigned_at: number;
  };
  /** The signed checkpoint that contradicts it. */
  readonly conflicting: {
    readonly tree_size: number;
    readonly root_hash: string;
    readonly checkpoint: string;
  };
  readonly proofs: readonly OfferedProof[];
}

/**
 * Writes `evidence` to a new file under `dir` and returns its path. The JSON is written to a
 * temporary file and fsync'd, then hard-linked to its final name (which fails rather than replace
 * an earlier file) and the directory fsync'd: after a crash the file is complete or absent.
 */
export async function writeEvidence(dir: string, evidence: ForkEvidence): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = evidence.time.replace(/[:.]/g, '-');
  const originId = toHex(sha256(utf8(evidence.origin))).slice(0, 12);
  const base = join(dir, `${stamp}-${originId}-${evidence.cosigned.tree_size}-${evidence.conflicting.tree_size}`);
  const temporary = `${base}.${process.pid}.tmp`;
  const file = await open(temporary, 'w', 0o644);
  try {
    await file.writeFile(`${JSON.stringify(evidence, null, 2)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    for (let n = 0; ; n++) {
      const path = n === 0 ? `${base}.json` : `${base}-${n}.json`;
      try {
        await link(temporary, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw e;
      }
      const directory = await open(dir, 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
      return path;
    }
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}
