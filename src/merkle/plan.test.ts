/**
 * Proof plans, checked against the worked example of RFC 6962 §2.1.3: a tree of seven leaves
 *
 *                 hash
 *                /    \
 *               k      l
 *              / \    / \
 *             g   h  i   j
 *            / \ / \ / \ |
 *            a b c d e f d6   (e, leaf 4, appears in no proof below)
 *
 * where l is not perfect: it is the ragged right edge made of i (level 1, index 2) and d6.
 */
import { describe, expect, it } from 'vitest';
import { hashChildren, hashLeaf } from './hasher.js';
import type { NodeId } from './node.js';
import { buildProof, consistencyPlan, inclusionPlan } from './plan.js';

const n = (level: number, index: number): NodeId => ({ level, index });
const [a, b, c, d, f, d6] = [n(0, 0), n(0, 1), n(0, 2), n(0, 3), n(0, 5), n(0, 6)];
const [g, h, i] = [n(1, 0), n(1, 1), n(1, 2)];
const k = n(2, 0);
const l = [i, d6];

describe('inclusionPlan: RFC 6962 §2.1.3 audit paths, leaf upward', () => {
  it('matches the RFC example tree', () => {
    expect(inclusionPlan(0, 7)).toEqual([[b], [h], l]);
    expect(inclusionPlan(3, 7)).toEqual([[c], [g], l]);
    expect(inclusionPlan(4, 7)).toEqual([[f], [d6], [k]]);
    expect(inclusionPlan(6, 7)).toEqual([[i], [k]]);
  });

  it('is empty for the only leaf of a tree of one', () => {
    expect(inclusionPlan(0, 1)).toEqual([]);
  });

  it('skips levels where the tree has no leaves to the right', () => {
    // Leaf 4 of 5: nothing beside it or beside its parent; only the left half.
    expect(inclusionPlan(4, 5)).toEqual([[n(2, 0)]]);
  });

  it('handles indices and sizes beyond 2^32', () => {
    const plan = inclusionPlan(2 ** 40, 2 ** 40 + 3);
    expect(plan).toEqual([[n(0, 2 ** 40 + 1)], [n(0, 2 ** 40 + 2)], [n(40, 0)]]);
  });

  it('requires 0 <= index < size', () => {
    expect(() => inclusionPlan(7, 7)).toThrow(new RangeError('index 7 is not below size 7; requires 0 <= index < size'));
    expect(() => inclusionPlan(0, 0)).toThrow(RangeError);
    expect(() => inclusionPlan(-1, 7)).toThrow(new RangeError('index must not be negative, got -1'));
    expect(() => inclusionPlan(0.5, 7)).toThrow(new TypeError('index must be a safe integer'));
    expect(() => inclusionPlan(0, 2 ** 53)).toThrow(new TypeError('size must be a safe integer'));
  });
});

describe('consistencyPlan: RFC 6962 §2.1.3 consistency proofs', () => {
  it('matches the RFC example tree', () => {
    expect(consistencyPlan(3, 7)).toEqual([[c], [d], [g], l]);
    expect(consistencyPlan(4, 7)).toEqual([l]);
    expect(consistencyPlan(6, 7)).toEqual([[i], [d6], [k]]);
  });

  it('is empty between equal sizes and from the empty tree (PROTOCOL §1)', () => {
    expect(consistencyPlan(7, 7)).toEqual([]);
    expect(consistencyPlan(0, 7)).toEqual([]);
    expect(consistencyPlan(0, 0)).toEqual([]);
  });

  it('omits the old root when the old size is a power of two (SUBPROOF(m, D[m], true) is empty)', () => {
    expect(consistencyPlan(2, 3)).toEqual([[n(0, 2)]]);
    expect(consistencyPlan(1, 8)).toEqual([[n(0, 1)], [n(1, 1)], [n(2, 1)]]);
  });

  it('requires 0 <= size1 <= size2', () => {
    expect(() => consistencyPlan(8, 7)).toThrow(new RangeError('size1 8 is larger than size2 7; requires 0 <= size1 <= size2'));
    expect(() => consistencyPlan(-1, 7)).toThrow(RangeError);
    expect(() => consistencyPlan(1, Number.NaN)).toThrow(TypeError);
  });
});

describe('buildProof', () => {
  const leaves = [0, 1, 2, 3, 4, 5, 6].map((x) => hashLeaf(Uint8Array.of(x)));
  const node = (id: NodeId): Uint8Array => {
    if (id.level === 0) return leaves[id.index]!;
    return hashChildren(node(n(id.level - 1, 2 * id.index)), node(n(id.level - 1, 2 * id.index + 1)));
  };

  it('asks for each node once, in order, and folds ragged elements from the right', () => {
    const asked: NodeId[] = [];
    const proof = buildProof(inclusionPlan(0, 7), (id) => {
      asked.push(id);
      return node(id);
    });
    expect(asked).toEqual([b, h, i, d6]);
    expect(proof).toEqual([leaves[1], node(h), hashChildren(node(i), leaves[6]!)]);
  });

  it('rejects a node hash of the wrong length and a malformed plan', () => {
    expect(() => buildProof([[a]], () => new Uint8Array(31))).toThrow(
      new RangeError('getNode(level 0, index 0) must be 32 bytes, got 31'),
    );
    expect(() => buildProof([[]], node)).toThrow(new TypeError('plan[0] must be a non-empty array of NodeIds'));
    expect(() => buildProof([[a]], undefined as unknown as () => Uint8Array)).toThrow(TypeError);
  });

  it('builds the empty proof from the empty plan', () => {
    expect(buildProof([], node)).toEqual([]);
  });
});

