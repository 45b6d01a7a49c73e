import { describe, expect, it } from 'vitest';
import { CompactRange } from './compact.js';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hasher.js';
import type { NodeId } from './node.js';

const leaves = Array.from({ length: 8 }, (_, i) => hashLeaf(Uint8Array.of(i)));

function rangeOf(count: number, visit?: (id: NodeId, hash: Uint8Array) => void): CompactRange {
  const range = CompactRange.empty();
  for (let i = 0; i < count; i++) range.append(leaves[i]!, visit);
  return range;
}

describe('CompactRange', () => {
  it('starts empty, with the empty root', () => {
    const range = CompactRange.empty();
    expect(range.size).toBe(0);
    expect(range.root()).toEqual(EMPTY_ROOT);
    expect(range.nodes()).toEqual([]);
  });

  it('holds one hash per set bit of its size and computes the RFC 6962 root', () => {
    const range = rangeOf(3);
    const h01 = hashChildren(leaves[0]!, leaves[1]!);
    expect(range.size).toBe(3);
    expect(range.nodes()).toEqual([h01, leaves[2]]);
    expect(range.root()).toEqual(hashChildren(h01, leaves[2]!));
  });

  it('reports the leaf and then each perfect subtree the append completes, bottom-up', () => {
    const seen: [NodeId, Uint8Array][] = [];
    const range = rangeOf(3);
    range.append(leaves[3]!, (id, hash) => seen.push([id, hash.slice()]));
    const h01 = hashChildren(leaves[0]!, leaves[1]!);
    const h23 = hashChildren(leaves[2]!, leaves[3]!);
    expect(seen).toEqual([
      [{ level: 0, index: 3 }, leaves[3]],
      [{ level: 1, index: 1 }, h23],
      [{ level: 2, index: 0 }, hashChildren(h01, h23)],
    ]);
  });

  it('keeps its own copy of an appended leaf hash, also of a Buffer (whose slice() is a view)', () => {
    for (const buffer of [leaves[0]!.slice(), Buffer.from(leaves[0]!)]) {
      const range = CompactRange.empty();
      range.append(buffer);
      buffer.fill(0);
      expect(range.root()).toEqual(leaves[0]);
      const nodes = range.nodes();
      nodes[0]!.fill(1);
      expect(range.nodes()).toEqual([leaves[0]]);
    }
  });

  it('fromNodes rebuilds a range from its right-edge hashes, and nodes() returns copies', () => {
    const original = rangeOf(7);
    const nodes = original.nodes();
    const rebuilt = CompactRange.fromNodes(7, nodes);
    nodes[0]!.fill(0);
    expect(rebuilt.root()).toEqual(original.root());
    original.append(leaves[7]!);
    rebuilt.append(leaves[7]!);
    expect(rebuilt.root()).toEqual(original.root());
    expect(rebuilt.nodes()).toHaveLength(1);
  });

  it('fromNodes checks the number and length of the hashes', () => {
    expect(() => CompactRange.fromNodes(7, [leaves[0]!, leaves[1]!])).toThrow(
      new RangeError('hashes has 2 entries, a tree of size 7 has 3 right-edge nodes'),
    );
    expect(() => CompactRange.fromNodes(1, [new Uint8Array(31)])).toThrow(new RangeError('hashes[0] must be 32 bytes, got 31'));
    expect(() => CompactRange.fromNodes(-1, [])).toThrow(RangeError);
    expect(() => CompactRange.fromNodes(1, leaves[0] as unknown as Uint8Array[])).toThrow(TypeError);
  });

  it('is left as it was when visit throws', () => {
    const range = rangeOf(3);
    const root = range.root();
    expect(() =>
      range.append(leaves[3]!, (id) => {
        if (id.level === 2) throw new Error('storage failed');
      }),
    ).toThrow('storage failed');
    expect(range.size).toBe(3);
    expect(range.root()).toEqual(root);
    range.append(leaves[3]!);
    expect(range.root()).toEqual(rangeOf(4).root());
  });

  it('clone is independent of the original', () => {
    const original = rangeOf(5);
    const copy = original.clone();
    copy.append(leaves[5]!);
    expect(original.size).toBe(5);
    expect(original.root()).toEqual(rangeOf(5).root());
    expect(copy.root()).toEqual(rangeOf(6).root());
  });

  it('checks appended hashes and refuses to grow past the largest safe integer', () => {
    expect(() => CompactRange.empty().append(new Uint8Array(0))).toThrow(new RangeError('leafHash must be 32 bytes, got 0'));
    expect(() => CompactRange.empty().append(leaves[0]!, 'x' as unknown as () => void)).toThrow(TypeError);
    const full = CompactRange.fromNodes(Number.MAX_SAFE_INTEGER, Array.from({ length: 53 }, () => leaves[0]!));
    expect(() => full.append(leaves[1]!)).toThrow(RangeError);
  });

  it('tracks sizes beyond 2^32', () => {
    const size = 2 ** 33 - 1; // 33 right-edge nodes; appending merges all of them
    const range = CompactRange.fromNodes(size, Array.from({ length: 33 }, (_, i) => leaves[i % 8]!));
    const ids: NodeId[] = [];
    range.append(leaves[0]!, (id) => ids.push(id));
    expect(range.size).toBe(2 ** 33);
    expect(range.nodes()).toHaveLength(1);
    expect(ids).toHaveLength(34);
    expect(ids[0]).toEqual({ level: 0, index: 2 ** 33 - 1 });
    expect(ids[33]).toEqual({ level: 33, index: 0 });
  });
});
