/**
 * @module
 * Audit records (PROTOCOL §2): the strict I-JSON parser that turns a submitted body into fields
 * with their JCS text, the per-field salted commitments and record digest, the leaf_input that
 * holds the digest, and the offline check of a record against its leaf.
 */
export {
  DEFAULT_RECORD_LIMITS,
  parseRecord,
  parseRecordBatch,
  type RecordField,
  type RecordLimits,
} from './json.js';
export { canonicalize, type JsonValue, recordFieldsOf, stringField } from './jcs.js';
export { type Dcbor, DcborError, decodeDcbor, encodeDcbor } from './cbor.js';
export {
  COMMITMENT_BYTES,
  commitRecord,
  fieldCommitment,
  type RecordCommitment,
  recordDigest,
  recordDigestInput,
  SALT_BYTES,
} from './commit.js';
export {
  decodeLeaf,
  encodeLeaf,
  type Leaf,
  leafKind,
  LeafError,
  type LeafKind,
  LEAF_VERSION,
  MAX_LEAF_INPUT_BYTES,
  RECORD_DIGEST_BYTES,
} from './leaf.js';
export {
  type FieldOpening,
  openingsFromReceiptSalts,
  openingsOf,
  recordDigestFromOpenings,
  RecordVerifyError,
  verifyLeafInput,
  verifyOpenings,
  verifyRecord,
  type VerifyStep,
} from './verify.js';
export { MAX_FIELD_NAME_BYTES } from './text.js';
