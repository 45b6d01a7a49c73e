/**
 * @module
 * Proof planning: which node hashes an RFC 6962 proof is made of, without touching any hash.
 * A plan is fetched (from tiles, a database, memory) and folded by `buildProof`.
 *
 * Each element of a plan is one proof hash, given as the perfect subtrees it is the MTH of, left to
 * right. It is a single node except where the proof reaches across the ragged right edge of the
 * tree: RFC 6962 §2.1 then needs MTH(D[k:n]) for a subtree that is not perfect.
 */
import { abytes, auint } from '../util/bytes.js';
import { HASH_SIZE } from './hasher.js';
import { foldRightEdge, rangeNodes } from './node.js';
import type { NodeId } from './node.js';

/**
 * The plan of the RFC 6962 §2.1.1 audit path of leaf `index` in the tree of `size` leaves,
 * ordered from the leaf upward. Requires 0 <= index < size.
 */
export function inclusionPlan(index: number, size: number): NodeId[][] {
  auint(index, 'index');
  auint(size, 'size');
  if (index >= size) throw new RangeError(`index ${index} is not below size ${size}; requires 0 <= index < size`);
  const plan: NodeId[][] = [];
  appendSiblings(plan, 0, index, size);
  return plan;
}

/**
 * The plan of the RFC 6962 §2.1.2 consistency proof from the tree of `size1` leaves to the tree of
 * `size2` leaves. Empty when size1 == size2 or size1 == 0 (PROTOCOL §1). Requires
 * 0 <= size1 <= size2.
 */
export function consistencyPlan(size1: number, size2: number): NodeId[][] {
  auint(size1, 'size1');
  auint(size2, 'size2');
  if (size1 > size2) throw new RangeError(`size1 ${size1} is larger than size2 ${size2}; requires 0 <= size1 <= size2`);
  const plan: NodeId[][] = [];
  if (size1 === 0 || size1 === size2) return plan;
  // SUBPROOF descends through the nodes holding leaf size1 − 1 until it reaches one that ends
  // exactly at size1: the largest aligned perfect subtree ending there, at level = the number of
  // trailing zero bits of size1.
  let level = 0;
  let odd = size1;
  while (odd % 2 === 0) {
    odd /= 2;
    level++;
  }
  const index = odd - 1;
  // RFC 6962 §2.1.2: SUBPROOF(m, D[m], true) is empty: when size1 is a power of two the old root is
  // that node and the verifier already has it. Otherwise (a right turn was taken) it is sent.
  if (index !== 0) plan.push([{ level, index }]);
  // From there up, the proof is that node's audit path in the new tree.
  appendSiblings(plan, level, index, size2);
  return plan;
}

/**
 * Appends the audit path of node (level, index) in the tree of `size` leaves: at each level the
 * sibling subtree, if the tree has any leaves there, until the node is the root. A sibling on the
 * left is always perfect; one on the right may be cut short by the end of the tree.
 */
function appendSiblings(plan: NodeId[][], level: number, index: number, size: number): void {
  for (let width = 2 ** level; width < size; width *= 2, level++, index = Math.floor(index / 2)) {
    const sibling = index % 2 === 1 ? index - 1 : index + 1;
    const begin = sibling * width;
    if (begin >= size) continue;
    plan.push(begin + width <= size ? [{ level, index: sibling }] : rangeNodes(begin, size));
  }
}

/**
 * Turns a plan into proof hashes. `getNode` returns the 32-byte hash of a perfect subtree; it is
 * called once per node of the plan, in order. Ragged elements are folded with `foldRightEdge`;
 * single-node elements are the arrays `getNode` returned, not copies.
 */
export function buildProof(plan: readonly (readonly NodeId[])[], getNode: (id: NodeId) => Uint8Array): Uint8Array[] {
  if (!Array.isArray(plan)) throw new TypeError('plan must be an array of NodeId arrays');
  if (typeof getNode !== 'function') throw new TypeError('getNode must be a function');
  return plan.map((nodes, i) => {
    if (!Array.isArray(nodes) || nodes.length === 0) throw new TypeError(`plan[${i}] must be a non-empty array of NodeIds`);
    const hashes = nodes.map((id) => abytes(getNode(id), HASH_SIZE, `getNode(level ${id.level}, index ${id.index})`));
    return hashes.length === 1 ? hashes[0]! : foldRightEdge(hashes);
  });
}
