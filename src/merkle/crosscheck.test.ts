/**
 * Exhaustive cross-checks against the naive reference (testing/reference.ts: RFC 6962 §2.1 MTH,
 * PATH and PROOF written as recursions, and the RFC 9162 verification algorithms): every tree size
 * up to 300, every leaf, every pair of sizes.
 */
import { describe, expect, it } from 'vitest';
import { CompactRange } from './compact.js';
import { hashLeaf } from './hasher.js';
import { rightEdgeNodes } from './node.js';
import type { NodeId } from './node.js';
import { buildProof, consistencyPlan, inclusionPlan } from './plan.js';
import { HashTile, TILE_WIDTH, tileForNode, tileWidth } from './tile.js';
import { verifyConsistency, verifyInclusion } from './verify.js';
import {
  RefTree,
  referenceLeafHash,
  referenceNodeHash,
  rfc9162ConsistencyRoots,
  rfc9162InclusionRoot,
  syntheticLeafHash,
} from './testing/reference.js';

const MAX_SIZE = 300;
const leafInputs = Array.from({ length: MAX_SIZE }, (_, i) => new TextEncoder().encode(`leaf ${i}`));
const refLeaves = leafInputs.map(referenceLeafHash);
const ref = new RefTree((i) => refLeaves[i]!);
const perfect = (tree: RefTree) => (id: NodeId): Uint8Array => tree.mth(id.index * 2 ** id.level, (id.index + 1) * 2 ** id.level);
const getNode = perfect(ref);

const same = (a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean =>
  a.length === b.length && a.every((x, i) => Buffer.compare(x, b[i]!) === 0);
const equalHash = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/** Collects the cases where `check` fails, so that one assertion reports them all. */
function failures(cases: Iterable<string>, check: (name: string) => boolean): string[] {
  const failed: string[] = [];
  for (const name of cases) if (!check(name)) failed.push(name);
  return failed.slice(0, 10);
}

function* sizes(): Generator<number> {
  for (let size = 1; size <= MAX_SIZE; size++) yield size;
}

describe(`against the RFC 6962 reference, every tree up to ${MAX_SIZE} leaves`, () => {
  it('hashLeaf agrees with the reference leaf hash', () => {
    expect(failures(Array.from(leafInputs.keys(), String), (i) => equalHash(hashLeaf(leafInputs[+i]!), refLeaves[+i]!))).toEqual([]);
  });

  it('every inclusion proof is the reference PATH, verifies, and passes the RFC 9162 verifier', () => {
    const failed: string[] = [];
    for (const size of sizes()) {
      const root = ref.mth(0, size);
      for (let index = 0; index < size; index++) {
        const proof = buildProof(inclusionPlan(index, size), getNode);
        if (!same(proof, ref.path(index, size))) failed.push(`PATH(${index}, ${size})`);
        try {
          verifyInclusion(index, size, refLeaves[index]!, proof, root);
        } catch (e) {
          failed.push(`verifyInclusion(${index}, ${size}): ${(e as Error).message}`);
        }
        const r = rfc9162InclusionRoot(index, size, refLeaves[index]!, proof, referenceNodeHash);
        if (r === undefined || !equalHash(r, root)) failed.push(`RFC 9162 inclusion (${index}, ${size})`);
      }
    }
    expect(failed.slice(0, 10)).toEqual([]);
  });

  it('every consistency proof is the reference PROOF, verifies, and passes the RFC 9162 verifier', () => {
    const failed: string[] = [];
    for (const size2 of sizes()) {
      const root2 = ref.mth(0, size2);
      for (let size1 = 1; size1 <= size2; size1++) {
        const root1 = ref.mth(0, size1);
        const proof = buildProof(consistencyPlan(size1, size2), getNode);
        if (!same(proof, ref.proof(size1, size2))) failed.push(`PROOF(${size1}, ${size2})`);
        try {
          verifyConsistency(size1, size2, root1, root2, proof);
        } catch (e) {
          failed.push(`verifyConsistency(${size1}, ${size2}): ${(e as Error).message}`);
        }
        if (size1 < size2) {
          const r = rfc9162ConsistencyRoots(size1, size2, root1, proof, referenceNodeHash);
          if (r === undefined || !equalHash(r.first, root1) || !equalHash(r.second, root2)) {
            failed.push(`RFC 9162 consistency (${size1}, ${size2})`);
          }
        }
      }
    }
    expect(failed.slice(0, 10)).toEqual([]);
  });

  it('the right-edge nodes of every size fold to MTH', () => {
    expect(
      failures(Array.from(sizes(), String), (s) => {
        const size = +s;
        return equalHash(CompactRange.fromNodes(size, rightEdgeNodes(size).map(getNode)).root(), ref.mth(0, size));
      }),
    ).toEqual([]);
  });

  it('CompactRange has the MTH root after every append, and visit reports each perfect node once, with its hash', () => {
    const range = CompactRange.empty();
    const failed: string[] = [];
    const seen = new Set<string>();
    for (let k = 0; k < MAX_SIZE; k++) {
      const visited: NodeId[] = [];
      range.append(refLeaves[k]!, (id, hash) => {
        visited.push(id);
        const key = `${id.level}/${id.index}`;
        if (seen.has(key)) failed.push(`node ${key} reported twice`);
        seen.add(key);
        if (!equalHash(hash, getNode(id))) failed.push(`node ${key} reported with a wrong hash`);
      });
      // Leaf k completes exactly the perfect subtrees that end at k + 1, smallest first.
      const expected: NodeId[] = [];
      for (let level = 0; (k + 1) % 2 ** level === 0; level++) expected.push({ level, index: (k + 1) / 2 ** level - 1 });
      if (JSON.stringify(visited) !== JSON.stringify(expected)) failed.push(`append ${k} visited ${JSON.stringify(visited)}`);
      if (!equalHash(range.root(), ref.mth(0, k + 1))) failed.push(`root after ${k + 1} leaves`);
    }
    // Every perfect subtree of the final tree was reported.
    let perfectCount = 0;
    for (let level = 0; 2 ** level <= MAX_SIZE; level++) perfectCount += Math.floor(MAX_SIZE / 2 ** level);
    expect(seen.size).toBe(perfectCount);
    expect(failed.slice(0, 10)).toEqual([]);
  });
});

describe('HashTile against MTH of the ranges its nodes cover', () => {
  const tree = new RefTree(syntheticLeafHash, 256);
  const leafHashesFrom = (begin: number, count: number): Uint8Array =>
    Buffer.concat(Array.from({ length: count }, (_, i) => syntheticLeafHash(begin + i)));

  it('level-0 tiles of every width, at tile index 0 and 1', () => {
    const failed: string[] = [];
    for (const tileIndex of [0, 1]) {
      for (let width = 1; width <= TILE_WIDTH; width++) {
        const tile = new HashTile(leafHashesFrom(tileIndex * TILE_WIDTH, width));
        for (let level = 0; 2 ** level <= width; level++) {
          for (let index = 0; (index + 1) * 2 ** level <= width; index++) {
            const begin = tileIndex * TILE_WIDTH + index * 2 ** level;
            if (!equalHash(tile.node(level, index), tree.mth(begin, begin + 2 ** level))) {
              failed.push(`tile 0/${tileIndex}.p/${width} node (${level}, ${index})`);
            }
          }
        }
      }
    }
    expect(failed.slice(0, 10)).toEqual([]);
  });

  it('a level-1 tile holds MTH of 256-leaf ranges, and its nodes are MTH of 256·2^l leaves', () => {
    const hashes = Buffer.concat(Array.from({ length: TILE_WIDTH }, (_, i) => tree.mth(i * 256, (i + 1) * 256)));
    const tile = new HashTile(hashes);
    for (let level = 0; level <= 8; level++) {
      const span = 256 * 2 ** level;
      for (const index of [0, 2 ** (8 - level) - 1]) {
        expect(tile.node(level, index)).toEqual(tree.mth(index * span, (index + 1) * span));
      }
    }
  });

  it('tileForNode and tileWidth find every node a proof or the right edge needs, in the tiles of that tree', () => {
    const tiles = new Map<string, HashTile>();
    const tileOf = (size: number, tileLevel: number, tileIndex: number): HashTile => {
      const width = tileWidth(size, tileLevel, tileIndex);
      const key = `${tileLevel}/${tileIndex}/${width}`;
      let tile = tiles.get(key);
      if (!tile) {
        // Tile level L stores MTH of the 256^L-leaf ranges, i.e. tree level 8·L.
        const span = 256 ** tileLevel;
        const begin = tileIndex * 256;
        tile = new HashTile(Buffer.concat(Array.from({ length: width }, (_, i) => tree.mth((begin + i) * span, (begin + i + 1) * span))));
        tiles.set(key, tile);
      }
      return tile;
    };
    const failed: string[] = [];
    for (const size of [1, 255, 256, 257, 511, 65_535, 65_536, 65_537, 70_000]) {
      const needed = [...rightEdgeNodes(size)];
      for (let index = 0; index < size; index += 997) needed.push(...inclusionPlan(index, size).flat());
      needed.push(...inclusionPlan(size - 1, size).flat(), ...consistencyPlan(Math.ceil(size / 3), size).flat());
      for (const id of needed) {
        const at = tileForNode(id);
        const tile = tileOf(size, at.tileLevel, at.tileIndex);
        if (tile.width < at.minWidth) failed.push(`size ${size}: node ${id.level}/${id.index} is not complete in its tile`);
        else if (!equalHash(tile.node(at.levelInTile, at.indexInTile), perfect(tree)(id))) failed.push(`size ${size}: node ${id.level}/${id.index}`);
      }
    }
    expect(failed.slice(0, 10)).toEqual([]);
  });
});
