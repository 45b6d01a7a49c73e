/**
 * @module
 * A compact range: the right edge of a tree (one hash per set bit of its size), which is all that
 * is needed to compute the root and to append. The sequencer appends every leaf through one.
 */
import { abytes, auint } from '../util/bytes.js';
import { HASH_SIZE, hashChildren } from './hasher.js';
import { foldRightEdge, rightEdgeNodes } from './node.js';
import type { NodeId } from './node.js';

/**
 * Called for each perfect subtree an append completes. `hash` is shared with the range: read or
 * copy it, never modify it.
 */
export type NodeVisitor = (id: NodeId, hash: Uint8Array) => void;

export class CompactRange {
  #size: number;
  /** Hashes of rightEdgeNodes(#size), largest (leftmost) first. */
  readonly #hashes: Uint8Array[];

  private constructor(size: number, hashes: Uint8Array[]) {
    this.#size = size;
    this.#hashes = hashes;
  }

  /** The range of the empty tree. */
  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /**
   * The range of a tree of `size` leaves from the hashes of rightEdgeNodes(size), largest first.
   * Requires one 32-byte hash per node. The hashes are copied.
   */
  static fromNodes(size: number, hashes: readonly Uint8Array[]): CompactRange {
    auint(size, 'size');
    if (!Array.isArray(hashes)) throw new TypeError('hashes must be an array of 32-byte hashes');
    const needed = rightEdgeNodes(size).length;
    if (hashes.length !== needed) {
      throw new RangeError(`hashes has ${hashes.length} entries, a tree of size ${size} has ${needed} right-edge nodes`);
    }
    return new CompactRange(
      size,
      hashes.map((hash, i) => new Uint8Array(abytes(hash, HASH_SIZE, `hashes[${i}]`))),
    );
  }

  /** Number of leaves in the tree. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends the leaf with `leafHash` (a 32-byte RFC 6962 leaf hash, not the leaf input). `visit`
   * sees the leaf (level 0) and then every perfect subtree this leaf completes, bottom-up, each
   * exactly once over the life of the range. If `visit` throws, the range is left as it was.
   */
  append(leafHash: Uint8Array, visit?: NodeVisitor): void {
    abytes(leafHash, HASH_SIZE, 'leafHash');
    if (visit !== undefined && typeof visit !== 'function') throw new TypeError('visit must be a function');
    const size = this.#size;
    if (size === Number.MAX_SAFE_INTEGER) throw new RangeError(`the tree is full: size ${size} is the largest safe integer`);
    // The new leaf completes one subtree per trailing 1 bit of size: each merges with the
    // right-edge hash of the same level, which is always the last one still held. Nothing changes
    // until every visit has returned.
    let hash = size % 2 === 0 ? new Uint8Array(leafHash) : leafHash;
    visit?.({ level: 0, index: size }, hash);
    let kept = this.#hashes.length;
    let level = 0;
    for (let bits = size; bits % 2 === 1; bits = (bits - 1) / 2) {
      hash = hashChildren(this.#hashes[--kept]!, hash);
      level++;
      visit?.({ level, index: Math.floor(size / 2 ** level) }, hash);
    }
    this.#hashes.length = kept;
    this.#hashes.push(hash);
    this.#size = size + 1;
  }

  /** RFC 6962 MTH of the whole tree; a copy of EMPTY_ROOT for size 0. */
  root(): Uint8Array {
    return foldRightEdge(this.#hashes);
  }

  /** Copies of the hashes of rightEdgeNodes(size), largest first. */
  nodes(): Uint8Array[] {
    return this.#hashes.map((hash) => new Uint8Array(hash));
  }

  /** An independent copy: appending to one does not change the other. */
  clone(): CompactRange {
    // Held hashes are never modified, only replaced, so the copy may share them.
    return new CompactRange(this.#size, this.#hashes.slice());
  }
}
