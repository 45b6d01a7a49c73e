/**
 * @module
 * The receipt (PROTOCOL §4, pinned): everything a submitter needs to prove, offline and forever,
 * that its record was logged.
 */
import { toBase64 } from '../util/bytes.js';
import type { StoredRecordField } from '../storage/types.js';
import { isErased } from '../storage/types.js';

export interface Receipt {
  readonly leaf_index: number;
  readonly timestamp: number;
  readonly leaf_hash: string;
  readonly leaf_input: string;
  readonly salts: Readonly<Record<string, string>>;
  readonly checkpoint: string;
  readonly audit_path: readonly string[];
  /**
   * Present only when fields of the record were erased (PROTOCOL §6): each erased field's
   * commitment, which still enters the record digest, and the index of the erasure entry.
   */
  readonly erased?: Readonly<Record<string, { readonly commitment: string; readonly erasure_index: number }>>;
}

export function formatReceipt(args: {
  index: number;
  timestamp: number;
  leafHash: Uint8Array;
  leafInput: Uint8Array;
  fields: readonly StoredRecordField[];
  checkpoint: string;
  /** The audit path's hashes, or their base64 already (the log caches those for a pass's receipts). */
  auditPath: readonly Uint8Array[] | { readonly base64: readonly string[] };
}): Receipt {
  const salts: Record<string, string> = {};
  let erased = false;
  for (const f of args.fields) {
    if (isErased(f)) erased = true;
    else if (f.name === '__proto__') Object.defineProperty(salts, f.name, { value: toBase64(f.salt), enumerable: true, writable: true, configurable: true });
    // Plain assignment builds the object several times faster than Object.fromEntries (measured).
    else salts[f.name] = toBase64(f.salt);
  }
  const given = args.auditPath;
  let auditPath: readonly string[];
  if ('base64' in given) {
    auditPath = given.base64;
  } else {
    const encoded = new Array<string>(given.length);
    for (let i = 0; i < given.length; i++) encoded[i] = toBase64(given[i]!);
    auditPath = encoded;
  }
  return {
    leaf_index: args.index,
    timestamp: args.timestamp,
    leaf_hash: toBase64(args.leafHash),
    leaf_input: toBase64(args.leafInput),
    // A field named "__proto__" is defined as an own property above, so it stays a field.
    salts,
    checkpoint: args.checkpoint,
    audit_path: auditPath,
    ...(erased ? { erased: erasedOf(args.fields) } : {}),
  };
}

/** The `erased` map of a record's erased fields (empty if none). */
export function erasedOf(fields: readonly StoredRecordField[]): Record<string, { commitment: string; erasure_index: number }> {
  return Object.fromEntries(
    fields.flatMap((f) => (isErased(f) ? [[f.name, { commitment: toBase64(f.commitment), erasure_index: f.erasureIndex }]] : [])),
  );
}
