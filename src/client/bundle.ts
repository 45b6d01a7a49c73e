/**
 * @module
 * The evidence bundle (`spec/formats.md` §19): one JSON Lines file. Its first line is a header
 * with the log's cosigned checkpoint, each further line one record read with its salts and its
 * inclusion proof into that checkpoint's tree, and its last line an end marker with the record
 * count, so that a bundle cut short is told apart from a complete one.
 *
 * This module holds the format and the check of one record line against an opened checkpoint; it
 * trusts nothing it has not verified, and imports no storage, sequencer or API.
 */
import { hashLeaf, verifyInclusion } from '../merkle/index.js';
import type { Checkpoint } from '../note/index.js';
import { canonicalize, RecordVerifyError, openingsFromReceiptSalts, verifyLeafInput } from '../record/index.js';
import type { FieldOpening, JsonValue, RecordField } from '../record/index.js';
import { equalBytes, fromBase64 } from '../util/bytes.js';

export const BUNDLE_TYPE = 'sealtrail.bundle/v1';
export const BUNDLE_END_TYPE = 'sealtrail.bundle.end/v1';

/** The first line of a bundle. */
export interface BundleHeader {
  readonly type: typeof BUNDLE_TYPE;
  readonly origin: string;
  /** The log's verifier key as the log stated it: informative only, a verifier brings its own. */
  readonly verifier_key: string;
  /** The signed checkpoint note, with every witness cosignature the log served with it. */
  readonly checkpoint: string;
  readonly tree_size: number;
  /** The range of entry indices exported (inclusive), and the filter applied, if any. */
  readonly from: number;
  readonly to: number;
  readonly filter: string | null;
}

/** The last line of a bundle. */
export interface BundleEnd {
  readonly type: typeof BUNDLE_END_TYPE;
  readonly records: number;
}

/** A record line: what GET /v1/records?start&end&tree_size answers for one entry. */
export interface BundleRecord {
  readonly leaf_index: number;
  readonly timestamp: number;
  readonly leaf_hash: string;
  readonly leaf_input: string;
  readonly salts: Readonly<Record<string, string>>;
  readonly audit_path: readonly string[];
  readonly kind: string;
  readonly submitter: string;
  readonly values: Readonly<Record<string, JsonValue>>;
  readonly erased: Readonly<Record<string, { readonly commitment: string; readonly erasure_index: number }>>;
}

/** Why one record line does not verify; the message reads after "record N: ". */
export class BundleRecordError extends Error {
  override readonly name = 'BundleRecordError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function base64Member(line: Record<string, unknown>, name: string, length?: number): Uint8Array {
  const text = line[name];
  const bytes = typeof text === 'string' ? fromBase64(text) : undefined;
  if (bytes === undefined || (length !== undefined && bytes.length !== length)) {
    throw new BundleRecordError(`${name} must be ${length === undefined ? '' : `${length} bytes of `}standard base64`);
  }
  return bytes;
}

/** The openings of a record line: its values with their salts (§7.2), and its erased fields' commitments (PROTOCOL §6). */
function openingsOf(line: Record<string, unknown>): FieldOpening[] {
  const { values, salts, erased } = line;
  if (!isObject(values)) throw new BundleRecordError('values must be an object');
  if (!isObject(salts)) throw new BundleRecordError('salts must be an object');
  if (erased !== undefined && !isObject(erased)) throw new BundleRecordError('erased must be an object');
  let fields: RecordField[];
  try {
    // Own properties only (Object.entries): a field named "__proto__" is a field like any other.
    fields = Object.entries(values).map(([name, value]) => ({ name, jcs: canonicalize(value as JsonValue) }));
  } catch (e) {
    throw new BundleRecordError(`values holds a value that is not I-JSON: ${(e as Error).message}`);
  }
  const openings: FieldOpening[] = openingsFromReceiptSalts(fields, salts);
  for (const [name, entry] of Object.entries(erased ?? {})) {
    if (Object.hasOwn(values, name)) throw new BundleRecordError(`field ${JSON.stringify(name)} is both in values and in erased`);
    const text = isObject(entry) ? entry['commitment'] : undefined;
    const commitment = typeof text === 'string' ? fromBase64(text) : undefined;
    if (commitment === undefined || commitment.length !== 32) {
      throw new BundleRecordError(`the erased field ${JSON.stringify(name)} needs a commitment of 32 bytes of standard base64`);
    }
    openings.push({ name, commitment });
  }
  return openings;
}

/**
 * Checks one record line against the bundle's checkpoint (already verified with the log key): its
 * values, salts and erased commitments give the leaf's record digest (src/record verify), the leaf
 * agrees with the line's timestamp, submitter and kind, leaf_hash is the leaf's RFC 6962 hash, and
 * the audit path leads from it to the checkpoint's root. Returns the leaf index.
 */
export function verifyBundleRecord(lineJson: unknown, checkpoint: Checkpoint): number {
  if (!isObject(lineJson)) throw new BundleRecordError('the line is not a JSON object');
  const index = lineJson['leaf_index'];
  if (!Number.isSafeInteger(index) || (index as number) < 0) throw new BundleRecordError('leaf_index must be a non-negative integer');
  const leafIndex = index as number;
  if (leafIndex >= checkpoint.size) {
    throw new BundleRecordError(`leaf_index ${leafIndex} is not in the checkpoint's tree of size ${checkpoint.size}`);
  }
  const leafInput = base64Member(lineJson, 'leaf_input');
  const auditPathJson = lineJson['audit_path'];
  if (!Array.isArray(auditPathJson)) throw new BundleRecordError('audit_path must be an array of base64 hashes');
  const auditPath = auditPathJson.map((h, i) => {
    const bytes = typeof h === 'string' ? fromBase64(h) : undefined;
    if (bytes === undefined || bytes.length !== 32) throw new BundleRecordError(`audit_path[${i}] must be a 32-byte hash in standard base64`);
    return bytes;
  });

  let leaf;
  try {
    leaf = verifyLeafInput(leafInput, openingsOf(lineJson));
  } catch (e) {
    if (!(e instanceof RecordVerifyError)) throw e;
    if (e.step === 'digest') throw new BundleRecordError(`the values do not match the leaf's record digest: ${e.message}`);
    if (e.step === 'leaf') throw new BundleRecordError(`leaf_input is not a valid leaf: ${e.message}`);
    throw new BundleRecordError(e.message);
  }
  if (lineJson['timestamp'] !== leaf.time) throw new BundleRecordError(`timestamp ${String(lineJson['timestamp'])} differs from the leaf's time ${leaf.time}`);
  if (lineJson['submitter'] !== leaf.submitter) throw new BundleRecordError(`submitter differs from the leaf's ${JSON.stringify(leaf.submitter)}`);
  if (lineJson['kind'] !== leaf.kind) throw new BundleRecordError(`kind differs from the leaf's ${JSON.stringify(leaf.kind)}`);
  const leafHash = hashLeaf(leafInput);
  if (lineJson['leaf_hash'] !== undefined && !equalBytes(base64Member(lineJson, 'leaf_hash', 32), leafHash)) {
    throw new BundleRecordError('leaf_hash is not the RFC 6962 hash of leaf_input');
  }
  try {
    verifyInclusion(leafIndex, checkpoint.size, leafHash, auditPath, checkpoint.rootHash);
  } catch (e) {
    throw new BundleRecordError(`the audit path does not lead to the checkpoint's root: ${(e as Error).message}`);
  }
  return leafIndex;
}
