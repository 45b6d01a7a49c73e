/**
 * @module
 * The receipt (PROTOCOL §4, pinned): everything a submitter needs to prove, offline and forever,
 * that its record was logged.
 */
import { toBase64 } from '../util/bytes.js';
import type { StoredField } from '../storage/types.js';

export interface Receipt {
  readonly leaf_index: number;
  readonly timestamp: number;
  readonly leaf_hash: string;
  readonly leaf_input: string;
  readonly salts: Readonly<Record<string, string>>;
  readonly checkpoint: string;
  readonly audit_path: readonly string[];
}

export function formatReceipt(args: {
  index: number;
  timestamp: number;
  leafHash: Uint8Array;
  leafInput: Uint8Array;
  fields: readonly StoredField[];
  checkpoint: string;
  auditPath: readonly Uint8Array[];
}): Receipt {
  return {
    leaf_index: args.index,
    timestamp: args.timestamp,
    leaf_hash: toBase64(args.leafHash),
    leaf_input: toBase64(args.leafInput),
    // Object.fromEntries defines own properties, so a field named "__proto__" stays a field.
    salts: Object.fromEntries(args.fields.map((f) => [f.name, toBase64(f.salt)])),
    checkpoint: args.checkpoint,
    audit_path: args.auditPath.map(toBase64),
  };
}
