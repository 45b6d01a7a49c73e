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
  auditPath: readonly Uint8Array[];
}): Receipt {
  return {
    leaf_index: args.index,
    timestamp: args.timestamp,
    leaf_hash: toBase64(args.leafHash),
    leaf_input: toBase64(args.leafInput),
    // Object.fromEntries defines own properties, so a field named "__proto__" stays a field.
    salts: Object.fromEntries(args.fields.flatMap((f) => (isErased(f) ? [] : [[f.name, toBase64(f.salt)]]))),
    checkpoint: args.checkpoint,
    audit_path: args.auditPath.map(toBase64),
    ...(args.fields.some(isErased) ? { erased: erasedOf(args.fields) } : {}),
  };
}

/** The `erased` map of a record's erased fields (empty if none). */
export function erasedOf(fields: readonly StoredRecordField[]): Record<string, { commitment: string; erasure_index: number }> {
  return Object.fromEntries(
    fields.flatMap((f) => (isErased(f) ? [[f.name, { commitment: toBase64(f.commitment), erasure_index: f.erasureIndex }]] : [])),
  );
}
