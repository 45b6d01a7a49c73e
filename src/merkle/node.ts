/**
 * @module
 * Naming the perfect subtrees of an RFC 6962 tree, and folding the ragged right edge.
 *
 * RFC 6962 §2.1 splits a list of n > 1 leaves at k, the largest power of two smaller than n. Every
 * subtree that split produces is either perfect (2^level leaves starting at a multiple of 2^level)
 * or the ragged right edge of the tree, which is a run of perfect subtrees of decreasing size.
 */
import { abytes, auint } from '../util/bytes.js';
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from './hasher.js';

/**
 * A perfect subtree: the 2^level leaves [index·2^level, (index+1)·2^level). Level 0 is a leaf.
 * Its hash is MTH of those leaves, and it is a node of every tree whose size covers it.
 */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** Leaf positions must stay safe integers: every node lies below 2^53. */
const MAX_LEVEL = 52;

/**
 * Throws unless `id` names a perfect subtree whose leaves are all safe integer positions:
 * TypeError for a wrong type, RangeError for a level above 52 or a node that ends beyond 2^53.
 */
export function anode(id: unknown, name: string): NodeId {
  if (typeof id !== 'object' || id === null) throw new TypeError(`${name} must be a NodeId { level, index }`);
  const { level, index } = id as { level: unknown; index: unknown };
  auint(level, `${name}.level`);
  auint(index, `${name}.index`);
  const node = id as NodeId;
  if (node.level > MAX_LEVEL) throw new RangeError(`${name}.level must be at most ${MAX_LEVEL}, got ${node.level}`);
  if ((node.index + 1) * 2 ** node.level > 2 ** 53) {
    throw new RangeError(`${name} (level ${node.level}, index ${node.index}) ends beyond leaf 2^53`);
  }
  return node;
}

/**
 * The perfect subtrees that make up the leaves [begin, end), left to right, largest first.
 * Requires begin <= end, with begin a multiple of the largest power of two <= end − begin: true of
 * [0, size) and of every ragged right-hand subtree that RFC 6962 §2.1 produces.
 */
export function rangeNodes(begin: number, end: number): NodeId[] {
  const nodes: NodeId[] = [];
  let width = 1;
  let level = 0;
  while (width * 2 <= end - begin) {
    width *= 2;
    level++;
  }
  for (let position = begin; position < end; width /= 2, level--) {
    if (end - position >= width) {
      nodes.push({ level, index: position / width });
      position += width;
    }
  }
  return nodes;
}

/**
 * The perfect subtrees whose concatenation is the leaves [0, size), largest first: one per set bit
 * of `size`. This is the tree's right edge, from which its root and every later tree can be built.
 */
export function rightEdgeNodes(size: number): NodeId[] {
  auint(size, 'size');
  return rangeNodes(0, size);
}

/**
 * The RFC 6962 hash of a run of perfect subtrees given left to right, largest first (as
 * `rightEdgeNodes` or a ragged proof hash lists them). RFC 6962 §2.1 splits off the largest power
 * of two first, so the smaller subtrees on the right combine first: fold from the right.
 * An empty list is the empty tree (returns a copy of EMPTY_ROOT).
 */
export function foldRightEdge(hashes: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(hashes)) throw new TypeError('hashes must be an array of 32-byte hashes');
  if (hashes.length === 0) return new Uint8Array(EMPTY_ROOT);
  for (let i = 0; i < hashes.length; i++) abytes(hashes[i], HASH_SIZE, `hashes[${i}]`);
  let hash = hashes[hashes.length - 1]!;
  if (hashes.length === 1) return new Uint8Array(hash);
  for (let i = hashes.length - 2; i >= 0; i--) hash = hashChildren(hashes[i]!, hash);
  return hash;
}
