/**
 * @module
 * A second, naive implementation for tests to cross-check against. It shares nothing with the code
 * under test: hashing goes straight to node:crypto, and each function is written from the spec
 * text it names, recursion and all. Test support only; nothing in src imports it.
 */
import { createHash, hash } from 'node:crypto';

/** RFC 6962 §2.1: SHA-256(0x00 || d). */
export function referenceLeafHash(leafInput: Uint8Array): Uint8Array {
  return new Uint8Array(hash('sha256', Buffer.concat([Uint8Array.of(0), leafInput]), 'buffer'));
}

/** RFC 6962 §2.1: SHA-256(0x01 || left || right). */
export function referenceNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(hash('sha256', Buffer.concat([Uint8Array.of(1), left, right]), 'buffer'));
}

/** RFC 6962 §2.1: k is the largest power of two smaller than n (requires n > 1). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * A tree over leaves given by their leaf hashes, with RFC 6962 §2.1 MTH, PATH and PROOF. MTH of
 * ranges of at least `memoizeFrom` leaves is remembered, which makes trees of a million leaves
 * affordable: each perfect subtree that large is hashed once per RefTree.
 */
export class RefTree {
  readonly #memo = new Map<string, Uint8Array>();

  constructor(
    readonly leafHash: (index: number) => Uint8Array,
    readonly memoizeFrom = 1,
  ) {}

  /** MTH(D[begin:end]), a fresh copy (the remembered hashes stay untouched whatever a test does). */
  mth(begin: number, end: number): Uint8Array {
    return new Uint8Array(this.#mth(begin, end));
  }

  #mth(begin: number, end: number): Uint8Array {
    const n = end - begin;
    if (n === 0) return new Uint8Array(createHash('sha256').digest());
    if (n === 1) return this.leafHash(begin);
    const key = `${begin}:${end}`;
    if (n >= this.memoizeFrom) {
      const known = this.#memo.get(key);
      if (known) return known;
    }
    const k = splitPoint(n);
    const hash = referenceNodeHash(this.#mth(begin, begin + k), this.#mth(begin + k, end));
    if (n >= this.memoizeFrom) this.#memo.set(key, hash);
    return hash;
  }

  /** RFC 6962 §2.1.1: PATH(m, D[0:size]). */
  path(m: number, size: number): Uint8Array[] {
    return this.#path(m, 0, size);
  }

  #path(m: number, begin: number, end: number): Uint8Array[] {
    const n = end - begin;
    if (n === 1) return [];
    const k = splitPoint(n);
    if (m < k) return [...this.#path(m, begin, begin + k), this.mth(begin + k, end)];
    return [...this.#path(m - k, begin + k, end), this.mth(begin, begin + k)];
  }

  /** RFC 6962 §2.1.2: PROOF(m, D[0:size]) = SUBPROOF(m, D[0:size], true). */
  proof(m: number, size: number): Uint8Array[] {
    return this.#subproof(m, 0, size, true);
  }

  #subproof(m: number, begin: number, end: number, b: boolean): Uint8Array[] {
    const n = end - begin;
    if (m === n) return b ? [] : [this.mth(begin, end)];
    const k = splitPoint(n);
    if (m <= k) return [...this.#subproof(m, begin, begin + k, b), this.mth(begin + k, end)];
    return [...this.#subproof(m - k, begin + k, end, false), this.mth(begin, begin + k)];
  }
}

/**
 * RFC 9162 §2.1.3.2 inclusion verification, over any values and any combining function so that it
 * can also run symbolically. Returns the computed root, or undefined where the algorithm fails.
 */
export function rfc9162InclusionRoot<T>(
  leafIndex: number,
  treeSize: number,
  leaf: T,
  inclusionPath: readonly T[],
  combine: (left: T, right: T) => T,
): T | undefined {
  if (leafIndex >= treeSize) return undefined;
  let fn = BigInt(leafIndex);
  let sn = BigInt(treeSize - 1);
  let r = leaf;
  for (const p of inclusionPath) {
    if (sn === 0n) return undefined;
    if ((fn & 1n) === 1n || fn === sn) {
      r = combine(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = combine(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : undefined;
}

/**
 * RFC 9162 §2.1.4.2 consistency verification (requires 0 < first < second), generic like
 * rfc9162InclusionRoot. Returns both computed roots, or undefined where the algorithm fails.
 */
export function rfc9162ConsistencyRoots<T>(
  first: number,
  second: number,
  firstHash: T,
  consistencyPath: readonly T[],
  combine: (left: T, right: T) => T,
): { first: T; second: T } | undefined {
  if (consistencyPath.length === 0) return undefined;
  const path = isPowerOfTwo(first) ? [firstHash, ...consistencyPath] : [...consistencyPath];
  let fn = BigInt(first - 1);
  let sn = BigInt(second - 1);
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0] as T;
  let sr = path[0] as T;
  for (const c of path.slice(1)) {
    if (sn === 0n) return undefined;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = combine(c, fr);
      sr = combine(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = combine(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? { first: fr, second: sr } : undefined;
}

function isPowerOfTwo(n: number): boolean {
  const b = BigInt(n);
  return b > 0n && (b & (b - 1n)) === 0n;
}

/** Leaf hashes for big trees, cheap to make on demand: leaf i hashes to SHA-256(uint64be(i)). */
export function syntheticLeafHash(index: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(index));
  return new Uint8Array(hash('sha256', bytes, 'buffer'));
}

/** Symbolic hashing: shows which values a verifier combines in which order. */
export function symbolicNode(left: string, right: string): string {
  return `H(${left},${right})`;
}
