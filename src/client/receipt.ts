/**
 * @module
 * Offline verification of a receipt (PROTOCOL §4) against the record it is for and the log's
 * verifier key. Trusts nothing but what it checks: this module imports no storage, sequencer or API.
 */
import { hashLeaf, verifyInclusion } from '../merkle/index.js';
import { openCheckpoint, parseVerifierKey } from '../note/index.js';
import { decodeLeaf, fieldCommitment, parseRecord, recordDigest } from '../record/index.js';
import type { RecordField } from '../record/index.js';
import { equalBytes, fromBase64, toBase64 } from '../util/bytes.js';

/** Which check failed, and why, in words a person can act on. */
export class ReceiptError extends Error {
  override readonly name = 'ReceiptError';
  constructor(
    readonly step: 'receipt' | 'record' | 'salts' | 'leaf' | 'checkpoint' | 'inclusion' | 'witness' | 'consistency',
    message: string,
  ) {
    super(message);
  }
}

export interface VerifiedReceipt {
  readonly origin: string;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly timestamp: number;
  readonly submitter: string;
  readonly fields: readonly string[];
}

function bytesField(receipt: Record<string, unknown>, name: string, length?: number): Uint8Array {
  const value = receipt[name];
  const bytes = typeof value === 'string' ? fromBase64(value) : undefined;
  if (!bytes || (length !== undefined && bytes.length !== length)) {
    throw new ReceiptError('receipt', `${name} must be ${length === undefined ? '' : `${length} bytes of `}standard base64`);
  }
  return bytes;
}

/**
 * Checks, in order: the receipt's shape; the record is valid; every field has a salt; the
 * commitments and record digest match the leaf; the leaf hash; the checkpoint's signature; the
 * inclusion proof of the leaf in the checkpoint's tree.
 */
export function verifyReceipt(receiptJson: unknown, recordBytes: Uint8Array, verifierKey: string): VerifiedReceipt {
  if (typeof receiptJson !== 'object' || receiptJson === null || Array.isArray(receiptJson)) {
    throw new ReceiptError('receipt', 'the receipt must be a JSON object');
  }
  const receipt = receiptJson as Record<string, unknown>;
  const leafIndex = receipt['leaf_index'];
  const timestamp = receipt['timestamp'];
  if (!Number.isSafeInteger(leafIndex) || (leafIndex as number) < 0) throw new ReceiptError('receipt', 'leaf_index must be a non-negative integer');
  if (!Number.isSafeInteger(timestamp) || (timestamp as number) < 0) throw new ReceiptError('receipt', 'timestamp must be a non-negative integer');
  const leafInput = bytesField(receipt, 'leaf_input');
  const leafHash = bytesField(receipt, 'leaf_hash', 32);
  const checkpointNote = receipt['checkpoint'];
  if (typeof checkpointNote !== 'string') throw new ReceiptError('receipt', 'checkpoint must be the signed note text');
  const auditPathJson = receipt['audit_path'];
  if (!Array.isArray(auditPathJson)) throw new ReceiptError('receipt', 'audit_path must be an array of base64 hashes');
  const auditPath = auditPathJson.map((h, i) => {
    const bytes = typeof h === 'string' ? fromBase64(h) : undefined;
    if (!bytes || bytes.length !== 32) throw new ReceiptError('receipt', `audit_path[${i}] must be a 32-byte hash in standard base64`);
    return bytes;
  });
  const salts = receipt['salts'];
  if (typeof salts !== 'object' || salts === null || Array.isArray(salts)) throw new ReceiptError('receipt', 'salts must be an object');

  let fields: RecordField[];
  try {
    // A record whose every field was erased (or whose tenant was crypto-shredded) reads as `{}`:
    // only the erased commitments are left, which a submission could never be but a read can.
    const hasErased = typeof receipt['erased'] === 'object' && receipt['erased'] !== null && Object.keys(receipt['erased']).length > 0;
    if (hasErased && /^\s*\{\s*\}\s*$/.test(Buffer.from(recordBytes).toString('utf8'))) fields = [];
    // The log's size limit is its own setting; a verifier accepts any size the log may have taken.
    else fields = parseRecord(recordBytes, { maxRecordBytes: Math.max(recordBytes.length, 1) });
  } catch (e) {
    throw new ReceiptError('record', `the record file is not a valid record: ${(e as Error).message}`);
  }

  const saltMap = new Map(Object.entries(salts as Record<string, unknown>));
  const commitments: [string, Uint8Array][] = fields.map((f) => {
    const text = saltMap.get(f.name);
    const salt = typeof text === 'string' ? fromBase64(text) : undefined;
    if (!salt || salt.length !== 16) throw new ReceiptError('salts', `field ${JSON.stringify(f.name)} has no 16-byte base64 salt in the receipt`);
    saltMap.delete(f.name);
    return [f.name, fieldCommitment(f.name, f.jcs, salt)];
  });
  if (saltMap.size > 0) {
    throw new ReceiptError('salts', `the receipt has salts for fields the record lacks: ${[...saltMap.keys()].map((k) => JSON.stringify(k)).join(', ')}`);
  }
  // PROTOCOL §6: an erased field enters the digest through the commitment the log kept for it.
  const erased = receipt['erased'];
  if (erased !== undefined) {
    if (typeof erased !== 'object' || erased === null || Array.isArray(erased)) throw new ReceiptError('receipt', 'erased must be an object');
    for (const [name, entry] of Object.entries(erased as Record<string, unknown>)) {
      const text = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)['commitment'] : undefined;
      const commitment = typeof text === 'string' ? fromBase64(text) : undefined;
      if (!commitment || commitment.length !== 32) throw new ReceiptError('receipt', `erased[${JSON.stringify(name)}].commitment must be 32 bytes of standard base64`);
      if (commitments.some(([n]) => n === name)) throw new ReceiptError('record', `field ${JSON.stringify(name)} is both in the record and erased`);
      commitments.push([name, commitment]);
    }
  }

  let leaf;
  try {
    leaf = decodeLeaf(leafInput);
  } catch (e) {
    throw new ReceiptError('leaf', `leaf_input is not a valid leaf: ${(e as Error).message}`);
  }
  if (!equalBytes(leaf.record, recordDigest(commitments))) {
    throw new ReceiptError('leaf', 'the record (with these salts) does not match the leaf: some field value, name or salt differs from what was logged');
  }
  if (leaf.time !== timestamp) throw new ReceiptError('leaf', `timestamp ${String(timestamp)} differs from the leaf's time ${leaf.time}`);
  if (!equalBytes(hashLeaf(leafInput), leafHash)) throw new ReceiptError('leaf', 'leaf_hash is not the RFC 6962 hash of leaf_input');

  let opened;
  try {
    opened = openCheckpoint(checkpointNote, parseVerifierKey(verifierKey));
  } catch (e) {
    throw new ReceiptError('checkpoint', `the checkpoint does not verify with this key: ${(e as Error).message}`);
  }
  const { checkpoint } = opened;
  if ((leafIndex as number) >= checkpoint.size) {
    throw new ReceiptError('inclusion', `leaf_index ${String(leafIndex)} is not in the checkpoint's tree of size ${checkpoint.size}`);
  }
  try {
    verifyInclusion(leafIndex as number, checkpoint.size, leafHash, auditPath, checkpoint.rootHash);
  } catch (e) {
    throw new ReceiptError('inclusion', `the audit path does not lead to the checkpoint's root ${toBase64(checkpoint.rootHash)}: ${(e as Error).message}`);
  }
  return {
    origin: checkpoint.origin,
    leafIndex: leafIndex as number,
    treeSize: checkpoint.size,
    timestamp: leaf.time,
    submitter: leaf.submitter,
    fields: fields.map((f) => f.name),
  };
}
