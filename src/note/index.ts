/**
 * @module
 * Signed notes, checkpoints and tree heads (PROTOCOL §3, §5, §7). Pure: no I/O, no clock;
 * randomness is passed in where a key is generated.
 */
export { NoteError, type NoteErrorReason } from './errors.js';
export {
  SIGNATURE_TYPE_COSIGNATURE,
  SIGNATURE_TYPE_ED25519,
  cosignatureMessage,
  cosignatureTimestamp,
  cosignerFromSeed,
  formatVerifierKey,
  generateCosignerKey,
  parseCosignerKey,
  type Cosigner,
  generateSignerKey,
  keyId,
  logId,
  parseSignerKey,
  parseVerifierKey,
  signerFromSeed,
  verifierFromPublicKey,
  type Ed25519NoteVerifier,
  type NoteSigner,
  type NoteVerifier,
} from './keys.js';
export { MAX_SIGNATURES, addSignatures, openNote, signNote, type NoteSignature, type OpenedNote } from './note.js';
export {
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  type Checkpoint,
  type OpenedCheckpoint,
} from './checkpoint.js';
export {
  TREE_HEAD_SIGNATURE_INPUT_LENGTH,
  decodeDigitallySigned,
  encodeDigitallySigned,
  signTreeHead,
  treeHeadSignatureInput,
  verifyTreeHead,
} from './sth.js';
