/**
 * @module
 * RFC 6962 §2.1 hashing: a leaf hash is SHA-256(0x00 || leaf_input), an interior node hash is
 * SHA-256(0x01 || left || right), and the empty tree hashes to SHA-256 of nothing. The 0x00/0x01
 * prefixes keep a leaf from ever being mistaken for an interior node (second-preimage resistance).
 */
import { abytes } from '../util/bytes.js';
import { sha256 } from '../util/hash.js';

/** Length in bytes of every hash in the tree. */
export const HASH_SIZE = 32;

/**
 * RFC 6962 §2.1: MTH({}) = SHA-256(), the root of the tree of size 0. Shared: never modify it.
 */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

const LEAF_PREFIX = new Uint8Array([0x00]);

// Scratch buffers: `sha256` is synchronous and keeps no reference to its input, so reusing one
// buffer per shape saves an allocation per hash (millions of them when a log grows).
const leafScratch = new Uint8Array(1 + 1024);
const nodeScratch = new Uint8Array(1 + 2 * HASH_SIZE);
nodeScratch[0] = 0x01;

/** RFC 6962 §2.1: MTH({d}) = SHA-256(0x00 || d). Any length of `leafInput` is accepted. */
export function hashLeaf(leafInput: Uint8Array): Uint8Array {
  abytes(leafInput, undefined, 'leafInput');
  if (leafInput.length < leafScratch.length) {
    leafScratch.set(leafInput, 1);
    return sha256(leafScratch.subarray(0, 1 + leafInput.length));
  }
  return sha256(LEAF_PREFIX, leafInput);
}

/** RFC 6962 §2.1: SHA-256(0x01 || left || right). Requires two 32-byte hashes. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  abytes(left, HASH_SIZE, 'left');
  abytes(right, HASH_SIZE, 'right');
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 1 + HASH_SIZE);
  return sha256(nodeScratch);
}
