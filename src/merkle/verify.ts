/**
 * @module
 * Proof verification. Each `verify…` is the matching `rootFrom…` plus a constant-time comparison.
 *
 * Everything a verifier receives describes someone else's tree, so every way the inputs can fail to
 * prove the claim is a ProofError: an index or size that is no safe non-negative integer or that
 * does not fit the other, a hash of the wrong length, a proof of the wrong length, a root that does
 * not match. Only wrong types (not a number, not a Uint8Array, not an array) throw TypeError.
 */
import { abytes, equalBytes, toBase64 } from '../util/bytes.js';
import { HASH_SIZE, hashChildren } from './hasher.js';

/** Why a proof failed: a stable code for callers, beside a message for people. */
export type ProofErrorCode = 'sizes' | 'hashLength' | 'proofLength' | 'rootMismatch';

/** The proof does not prove the claim. The message says which check failed. */
export class ProofError extends Error {
  override readonly name = 'ProofError';
  constructor(
    readonly code: ProofErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The root of the tree of `size` leaves computed from the RFC 6962 §2.1.1 audit path of leaf
 * `index`. Requires 0 <= index < size, a 32-byte leaf hash and exactly as many 32-byte proof hashes
 * as that position needs; throws ProofError otherwise.
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  acount(index, 'leaf index');
  acount(size, 'tree size');
  abytes(leafHash, undefined, 'leafHash');
  checkProofTypes(proof);
  if (index >= size) throw new ProofError('sizes', `leaf index ${index} is not below the tree size ${size}`);
  checkHashLength(leafHash, 'leafHash');
  const needed = siblingCount(0, index, size);
  if (proof.length !== needed) {
    throw new ProofError(
      'proofLength',
      `proof has ${proof.length} hashes, a proof for leaf ${index} in a tree of ${size} needs ${needed}`,
    );
  }
  checkProofHashes(proof);

  // Walk from the leaf up, as appendSiblings in plan.ts does: a right child's sibling is on the
  // left, a left child's sibling (if the tree has leaves there) is on the right.
  let hash = leafHash;
  let k = 0;
  for (let width = 1, node = index; width < size; width *= 2, node = Math.floor(node / 2)) {
    if (node % 2 === 1) hash = hashChildren(proof[k++]!, hash);
    else if ((node + 1) * width < size) hash = hashChildren(hash, proof[k++]!);
  }
  return hash === leafHash ? new Uint8Array(leafHash) : hash;
}

/** Throws ProofError unless `proof` shows that leaf `index` of the tree (`size`, `root`) has `leafHash`. */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  abytes(root, undefined, 'root');
  const calculated = rootFromInclusionProof(index, size, leafHash, proof);
  checkHashLength(root, 'root');
  if (!equalBytes(calculated, root)) {
    throw new ProofError(
      'rootMismatch',
      `calculated root ${toBase64(calculated)} does not match the given root ${toBase64(root)} ` +
        `(leaf ${index}, tree size ${size})`,
    );
  }
}

/**
 * The root of the tree of `size2` leaves computed from the RFC 6962 §2.1.2 consistency proof and
 * `root1`, after checking that the proof also reproduces `root1`. Requires 0 < size1 <= size2: the
 * vectors and C2SP tlog-witness treat a proof from the empty tree as meaningless, so a caller that
 * accepts size1 == 0 must decide that case itself. For size1 == size2 the proof must be empty and
 * root1 is returned.
 */
export function rootFromConsistencyProof(
  size1: number,
  size2: number,
  root1: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  acount(size1, 'size1');
  acount(size2, 'size2');
  abytes(root1, undefined, 'root1');
  checkProofTypes(proof);
  if (size1 > size2) throw new ProofError('sizes', `size1 ${size1} is larger than size2 ${size2}`);
  if (size1 === 0) {
    throw new ProofError('sizes', `a consistency proof from size 0 proves nothing; size1 must be at least 1`);
  }
  checkHashLength(root1, 'root1');
  if (size1 === size2) {
    if (proof.length !== 0) {
      throw new ProofError('proofLength', `proof has ${proof.length} hashes, a proof between equal sizes (${size1}) must be empty`);
    }
    return new Uint8Array(root1);
  }

  // The proof starts at the largest perfect subtree ending at size1 (see consistencyPlan).
  let level = 0;
  let odd = size1;
  while (odd % 2 === 0) {
    odd /= 2;
    level++;
  }
  const start = odd - 1;
  const needed = (start === 0 ? 0 : 1) + siblingCount(level, start, size2);
  if (proof.length !== needed) {
    throw new ProofError(
      'proofLength',
      `proof has ${proof.length} hashes, a consistency proof from size ${size1} to ${size2} needs ${needed}`,
    );
  }
  checkProofHashes(proof);

  // hash1 rebuilds the old root and hash2 the new one. Siblings on the left lie inside the old tree
  // and enter both; siblings on the right begin at or after size1 and enter only the new tree.
  let k = 0;
  let hash1 = start === 0 ? root1 : proof[k++]!;
  let hash2 = hash1;
  for (let width = 2 ** level, node = start; width < size2; width *= 2, node = Math.floor(node / 2)) {
    if (node % 2 === 1) {
      const sibling = proof[k++]!;
      hash1 = hashChildren(sibling, hash1);
      hash2 = hashChildren(sibling, hash2);
    } else if ((node + 1) * width < size2) {
      hash2 = hashChildren(hash2, proof[k++]!);
    }
  }
  if (!equalBytes(hash1, root1)) {
    throw new ProofError(
      'rootMismatch',
      `calculated root1 ${toBase64(hash1)} does not match the given root1 ${toBase64(root1)} ` +
        `(consistency from size ${size1} to ${size2})`,
    );
  }
  return hash2 === root1 ? new Uint8Array(root1) : hash2;
}

/**
 * Throws ProofError unless `proof` shows that the tree (`size2`, `root2`) extends the tree
 * (`size1`, `root1`). Requires 0 < size1 <= size2 (see rootFromConsistencyProof).
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  abytes(root2, undefined, 'root2');
  const calculated = rootFromConsistencyProof(size1, size2, root1, proof);
  checkHashLength(root2, 'root2');
  if (!equalBytes(calculated, root2)) {
    throw new ProofError(
      'rootMismatch',
      `calculated root2 ${toBase64(calculated)} does not match the given root2 ${toBase64(root2)} ` +
        `(consistency from size ${size1} to ${size2})`,
    );
  }
}

/** How many proof hashes the audit path of node (level, index) in a tree of `size` leaves has. */
function siblingCount(level: number, index: number, size: number): number {
  let count = 0;
  for (let width = 2 ** level, node = index; width < size; width *= 2, node = Math.floor(node / 2)) {
    if (node % 2 === 1 || (node + 1) * width < size) count++;
  }
  return count;
}

/** An index or size claimed by the other side: a TypeError if not a number, else it must be usable. */
function acount(value: number, name: string): void {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ProofError('sizes', `${name} ${value} is not a safe non-negative integer`);
  }
}

function checkProofTypes(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof)) throw new TypeError('proof must be an array of Uint8Array');
  for (let i = 0; i < proof.length; i++) abytes(proof[i], undefined, `proof[${i}]`);
}

function checkProofHashes(proof: readonly Uint8Array[]): void {
  for (let i = 0; i < proof.length; i++) checkHashLength(proof[i]!, `proof[${i}]`);
}

function checkHashLength(hash: Uint8Array, name: string): void {
  if (hash.length !== HASH_SIZE) {
    throw new ProofError('hashLength', `${name} is ${hash.length} bytes, a SHA-256 hash is ${HASH_SIZE}`);
  }
}
