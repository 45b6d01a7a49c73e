/**
 * @module
 * The RFC 6962 signed tree head of `/ct/v1/get-sth` (PROTOCOL §5): an Ed25519 signature by the
 * log key over the TreeHeadSignature struct, wrapped in a TLS DigitallySigned.
 */
import { abytes, auint } from '../util/bytes.js';
import { NoteError } from './errors.js';
import { SIGNATURE_TYPE_ED25519, type NoteSigner, type NoteVerifier } from './keys.js';

/** RFC 6962 §3.2: Version v1(0). */
const VERSION_V1 = 0x00;
/** RFC 6962 §3.2: SignatureType tree_hash(1). */
const SIGNATURE_TYPE_TREE_HASH = 0x01;
/** RFC 8422 §5.1.3, TLS HashAlgorithm intrinsic(8): the signature algorithm hashes for itself. */
const HASH_INTRINSIC = 0x08;
/** RFC 8422 §5.1.3, TLS SignatureAlgorithm ed25519(7). */
const SIGNATURE_ED25519 = 0x07;

/** Length of the TreeHeadSignature struct: 1 + 1 + 8 + 8 + 32. */
export const TREE_HEAD_SIGNATURE_INPUT_LENGTH = 50;

/**
 * RFC 6962 §3.5 TreeHeadSignature: version v1 (0x00), signature_type tree_hash (0x01),
 * uint64 timestamp (milliseconds), uint64 tree_size, 32-byte sha256_root_hash; big-endian.
 */
export function treeHeadSignatureInput(timestampMs: number, treeSize: number, rootHash: Uint8Array): Uint8Array {
  auint(timestampMs, 'timestampMs');
  auint(treeSize, 'treeSize');
  abytes(rootHash, 32, 'rootHash');
  const out = new Uint8Array(TREE_HEAD_SIGNATURE_INPUT_LENGTH);
  const view = new DataView(out.buffer);
  out[0] = VERSION_V1;
  out[1] = SIGNATURE_TYPE_TREE_HASH;
  view.setBigUint64(2, BigInt(timestampMs));
  view.setBigUint64(10, BigInt(treeSize));
  out.set(rootHash, 18);
  return out;
}

/** TLS DigitallySigned (RFC 5246 §4.7): hash 0x08, signature 0x07, uint16 length, signature. */
export function encodeDigitallySigned(signature: Uint8Array): Uint8Array {
  abytes(signature, undefined, 'signature');
  if (signature.length > 0xffff) {
    throw new RangeError(`signature must be at most 65535 bytes, got ${signature.length}`);
  }
  const out = new Uint8Array(4 + signature.length);
  out[0] = HASH_INTRINSIC;
  out[1] = SIGNATURE_ED25519;
  out[2] = signature.length >>> 8;
  out[3] = signature.length & 0xff;
  out.set(signature, 4);
  return out;
}

/**
 * Returns the signature inside a DigitallySigned of the form {@link encodeDigitallySigned} writes.
 * Throws NoteError `malformed` for other algorithms, a wrong length or trailing bytes.
 */
export function decodeDigitallySigned(digitallySigned: Uint8Array): Uint8Array {
  abytes(digitallySigned, undefined, 'digitallySigned');
  if (digitallySigned.length < 4) {
    throw new NoteError('malformed', `a DigitallySigned is at least 4 bytes, got ${digitallySigned.length}`);
  }
  const hash = digitallySigned[0]!;
  const algorithm = digitallySigned[1]!;
  if (hash !== HASH_INTRINSIC || algorithm !== SIGNATURE_ED25519) {
    throw new NoteError(
      'malformed',
      `the DigitallySigned algorithms are hash ${hash} and signature ${algorithm}; only 8 (intrinsic) and 7 (ed25519) are accepted`,
    );
  }
  const length = (digitallySigned[2]! << 8) | digitallySigned[3]!;
  if (length !== digitallySigned.length - 4) {
    throw new NoteError(
      'malformed',
      `the DigitallySigned says its signature is ${length} bytes but ${digitallySigned.length - 4} follow`,
    );
  }
  return digitallySigned.slice(4);
}

/** Signs a tree head with the log key; returns the DigitallySigned bytes of `tree_head_signature`. */
export function signTreeHead(signer: NoteSigner, timestampMs: number, treeSize: number, rootHash: Uint8Array): Uint8Array {
  return encodeDigitallySigned(signer.sign(treeHeadSignatureInput(timestampMs, treeSize, rootHash)));
}

/**
 * True if `digitallySigned` is the log key's signature of this tree head; false for any other
 * bytes. `verifier` must be an Ed25519 (type 0x01) key: the same key that signs the checkpoints.
 */
export function verifyTreeHead(
  verifier: NoteVerifier,
  timestampMs: number,
  treeSize: number,
  rootHash: Uint8Array,
  digitallySigned: Uint8Array,
): boolean {
  if (verifier.type !== SIGNATURE_TYPE_ED25519) {
    throw new RangeError(`tree heads are signed by an Ed25519 (type 0x01) key, got a verifier of type ${verifier.type}`);
  }
  const input = treeHeadSignatureInput(timestampMs, treeSize, rootHash);
  abytes(digitallySigned, undefined, 'digitallySigned');
  let signature: Uint8Array;
  try {
    signature = decodeDigitallySigned(digitallySigned);
  } catch (error) {
    if (error instanceof NoteError) return false;
    throw error;
  }
  return verifier.verify(input, signature);
}
