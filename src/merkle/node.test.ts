import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hasher.js';
import { anode, foldRightEdge, rangeNodes, rightEdgeNodes } from './node.js';

const leaf = (i: number): Uint8Array => hashLeaf(Uint8Array.of(i));

describe('rightEdgeNodes: the binary decomposition of [0, size), largest first', () => {
  it('is empty for the empty tree and one node for a power of two', () => {
    expect(rightEdgeNodes(0)).toEqual([]);
    expect(rightEdgeNodes(1)).toEqual([{ level: 0, index: 0 }]);
    expect(rightEdgeNodes(8)).toEqual([{ level: 3, index: 0 }]);
  });

  it('has one node per set bit: 7 = 4 + 2 + 1, 13 = 8 + 4 + 1', () => {
    expect(rightEdgeNodes(7)).toEqual([
      { level: 2, index: 0 },
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
    expect(rightEdgeNodes(13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
  });

  it('works up to the largest safe integer without 32-bit overflow', () => {
    const nodes = rightEdgeNodes(Number.MAX_SAFE_INTEGER);
    expect(nodes).toHaveLength(53);
    expect(nodes[0]).toEqual({ level: 52, index: 0 });
    expect(nodes[52]).toEqual({ level: 0, index: Number.MAX_SAFE_INTEGER - 1 });
    expect(rightEdgeNodes(2 ** 40 + 2 ** 33)).toEqual([
      { level: 40, index: 0 },
      { level: 33, index: 2 ** 7 },
    ]);
  });

  it('checks size', () => {
    expect(() => rightEdgeNodes(-1)).toThrow(new RangeError('size must not be negative, got -1'));
    expect(() => rightEdgeNodes(1.5)).toThrow(new TypeError('size must be a safe integer'));
    expect(() => rightEdgeNodes(2 ** 53)).toThrow(TypeError);
  });
});

describe('rangeNodes: the ragged right subtree [begin, end) of RFC 6962 §2.1', () => {
  it('decomposes a range that starts at a large enough power of two', () => {
    expect(rangeNodes(8, 13)).toEqual([
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(rangeNodes(4, 4)).toEqual([]);
  });
});

describe('foldRightEdge', () => {
  it('is the empty root for no nodes and the node itself for one', () => {
    expect(foldRightEdge([])).toEqual(EMPTY_ROOT);
    expect(foldRightEdge([leaf(1)])).toEqual(leaf(1));
  });

  it('combines from the right: [a, b, c] is H(a, H(b, c)), as MTH splits at the largest power of two', () => {
    const [a, b, c] = [leaf(1), leaf(2), leaf(3)];
    expect(foldRightEdge([a, b, c])).toEqual(hashChildren(a, hashChildren(b, c)));
  });

  it('returns a fresh array, never one of its inputs or EMPTY_ROOT itself', () => {
    const a = Buffer.from(leaf(1));
    const folded = foldRightEdge([a]);
    a.fill(0);
    expect(folded).toEqual(leaf(1));
    expect(foldRightEdge([])).not.toBe(EMPTY_ROOT);
  });

  it('checks its input', () => {
    expect(() => foldRightEdge([leaf(1), new Uint8Array(3)])).toThrow(new RangeError('hashes[1] must be 32 bytes, got 3'));
    expect(() => foldRightEdge('x' as unknown as Uint8Array[])).toThrow(TypeError);
  });
});

describe('anode', () => {
  it('accepts perfect subtrees that lie below leaf 2^53 and rejects the rest', () => {
    expect(anode({ level: 52, index: 1 }, 'id')).toEqual({ level: 52, index: 1 });
    expect(() => anode({ level: 53, index: 0 }, 'id')).toThrow(new RangeError('id.level must be at most 52, got 53'));
    expect(() => anode({ level: 52, index: 2 }, 'id')).toThrow(RangeError);
    expect(() => anode({ level: 0, index: -1 }, 'id')).toThrow(new RangeError('id.index must not be negative, got -1'));
    expect(() => anode(null, 'id')).toThrow(TypeError);
    expect(() => anode({ level: '1', index: 0 }, 'id')).toThrow(new TypeError('id.level must be a safe integer'));
  });
});
