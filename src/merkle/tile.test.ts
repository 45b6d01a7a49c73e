import { describe, expect, it } from 'vitest';
import { hashChildren, hashLeaf } from './hasher.js';
import {
  HashTile,
  TILE_HEIGHT,
  TILE_WIDTH,
  hashCountAtTileLevel,
  tileCountAtLevel,
  tileForNode,
  tileWidth,
} from './tile.js';

const hashes = (count: number): Uint8Array[] => Array.from({ length: count }, (_, i) => hashLeaf(Uint8Array.of(i & 0xff, i >> 8)));
const concat = (list: Uint8Array[]): Uint8Array => new Uint8Array(list.flatMap((h) => [...h]));

describe('tile geometry (C2SP tlog-tiles)', () => {
  it('has tiles of height 8 and width 256', () => {
    expect(TILE_HEIGHT).toBe(8);
    expect(TILE_WIDTH).toBe(2 ** TILE_HEIGHT);
  });

  it('counts tiles as in the spec example: a tree of 70,000', () => {
    // 273 full level-0 tiles and one of width 112; one full level-1 tile and one of width 17;
    // one level-2 tile of width 1.
    expect(hashCountAtTileLevel(70_000, 0)).toBe(70_000);
    expect(tileCountAtLevel(70_000, 0)).toBe(274);
    expect(tileWidth(70_000, 0, 272)).toBe(256);
    expect(tileWidth(70_000, 0, 273)).toBe(112);
    expect(tileWidth(70_000, 0, 274)).toBe(0);
    expect(tileCountAtLevel(70_000, 1)).toBe(2);
    expect(tileWidth(70_000, 1, 0)).toBe(256);
    expect(tileWidth(70_000, 1, 1)).toBe(17);
    expect(tileCountAtLevel(70_000, 2)).toBe(1);
    expect(tileWidth(70_000, 2, 0)).toBe(1);
    expect(tileCountAtLevel(70_000, 3)).toBe(0);
  });

  it('counts tiles as in the spec example: a tree of 256 has a full level-0 tile and a level-1 tile of width 1', () => {
    expect(tileCountAtLevel(256, 0)).toBe(1);
    expect(tileWidth(256, 0, 0)).toBe(256);
    expect(tileWidth(256, 1, 0)).toBe(1);
    expect(tileCountAtLevel(0, 0)).toBe(0);
  });

  it('works for tree sizes beyond 2^32', () => {
    const size = 2 ** 52 + 2 ** 40 + 5;
    expect(hashCountAtTileLevel(size, 5)).toBe(2 ** 12 + 1); // floor(size / 2^40)
    expect(tileWidth(size, 6, 0)).toBe(16);
    expect(tileWidth(size, 0, (size - 5) / 256)).toBe(5);
  });

  it('checks its arguments', () => {
    expect(() => tileCountAtLevel(1, 64)).toThrow(new RangeError('tileLevel must be at most 63, got 64'));
    expect(() => tileWidth(1, 0, -1)).toThrow(RangeError);
    expect(() => hashCountAtTileLevel(1.5, 0)).toThrow(TypeError);
  });
});

describe('tileForNode', () => {
  it('finds a leaf in its level-0 tile', () => {
    expect(tileForNode({ level: 0, index: 1000 })).toEqual({ tileLevel: 0, tileIndex: 3, levelInTile: 0, indexInTile: 232, minWidth: 233 });
  });

  it('finds an inner node inside the tile whose hashes it is built from', () => {
    // Level 5 node 9 covers leaves 288..319: tile 1 (leaves 256..511), its node 1 at level 5.
    expect(tileForNode({ level: 5, index: 9 })).toEqual({ tileLevel: 0, tileIndex: 1, levelInTile: 5, indexInTile: 1, minWidth: 64 });
  });

  it('finds a level-8 node as a stored hash of tile level 1, not as the top of a level-0 tile', () => {
    expect(tileForNode({ level: 8, index: 300 })).toEqual({ tileLevel: 1, tileIndex: 1, levelInTile: 0, indexInTile: 44, minWidth: 45 });
    expect(tileForNode({ level: 17, index: 3 })).toEqual({ tileLevel: 2, tileIndex: 0, levelInTile: 1, indexInTile: 3, minWidth: 8 });
  });

  it('works for the largest nodes', () => {
    expect(tileForNode({ level: 52, index: 1 })).toEqual({ tileLevel: 6, tileIndex: 0, levelInTile: 4, indexInTile: 1, minWidth: 32 });
    expect(tileForNode({ level: 0, index: 2 ** 53 - 1 })).toEqual({
      tileLevel: 0,
      tileIndex: 2 ** 45 - 1,
      levelInTile: 0,
      indexInTile: 255,
      minWidth: 256,
    });
  });

  it('checks the node', () => {
    expect(() => tileForNode({ level: 53, index: 0 })).toThrow(RangeError);
    expect(() => tileForNode(undefined as unknown as { level: number; index: number })).toThrow(TypeError);
  });
});

describe('HashTile', () => {
  it('returns its stored hashes at level 0 and hashes up for higher levels', () => {
    const list = hashes(256);
    const tile = new HashTile(concat(list));
    expect(tile.width).toBe(256);
    expect(tile.hash(7)).toEqual(list[7]);
    expect(tile.node(1, 3)).toEqual(hashChildren(list[6]!, list[7]!));
    expect(tile.node(2, 1)).toEqual(hashChildren(hashChildren(list[4]!, list[5]!), hashChildren(list[6]!, list[7]!)));
  });

  it('copies its input and returns copies, also for a Buffer (whose slice() is a view)', () => {
    const bytes = Buffer.from(concat(hashes(2)));
    const tile = new HashTile(bytes);
    const top = tile.node(1, 0);
    bytes.fill(0);
    tile.hash(0).fill(0);
    tile.node(1, 0).fill(0);
    expect(tile.node(1, 0)).toEqual(top);
    expect(tile.hash(0)).toEqual(hashes(1)[0]);
    expect(Buffer.isBuffer(tile.hash(0))).toBe(false);
  });

  it('refuses nodes that are not complete within a partial tile', () => {
    const tile = new HashTile(concat(hashes(40)));
    expect(tile.node(3, 4)).toHaveLength(32); // hashes 32..39
    expect(() => tile.node(3, 5)).toThrow(new RangeError('node (level 3, index 5) needs 48 hashes, the tile has 40'));
    expect(() => tile.node(8, 0)).toThrow(RangeError);
    expect(() => tile.hash(40)).toThrow(RangeError);
    expect(() => tile.node(9, 0)).toThrow(new RangeError('levelInTile must be at most 8, got 9'));
    expect(() => tile.node(-1, 0)).toThrow(RangeError);
  });

  it('accepts 1 to 256 whole hashes', () => {
    expect(new HashTile(new Uint8Array(32)).width).toBe(1);
    expect(() => new HashTile(new Uint8Array(0))).toThrow(new RangeError('hashes must be 1 to 256 hashes of 32 bytes, got 0 bytes'));
    expect(() => new HashTile(new Uint8Array(33))).toThrow(RangeError);
    expect(() => new HashTile(new Uint8Array(257 * 32))).toThrow(RangeError);
    expect(() => new HashTile([] as unknown as Uint8Array)).toThrow(TypeError);
  });

  /** Every complete node of `tile`, level by level, as hex. */
  const allNodes = (tile: HashTile): string[] => {
    const out: string[] = [];
    for (let level = 0; level <= TILE_HEIGHT; level++) {
      for (let i = 0; (i + 1) * 2 ** level <= tile.width; i++) out.push(Buffer.from(tile.node(level, i)).toString('hex'));
    }
    return out;
  };

  it('reuses the inner nodes of a narrower copy of itself, and gets the same nodes as without it', () => {
    const list = hashes(256);
    for (const [narrow, wide] of [[1, 2], [3, 200], [128, 129], [255, 256], [100, 100], [37, 255]] as const) {
      const previous = new HashTile(concat(list.slice(0, narrow)));
      allNodes(previous); // computes its inner levels, which the wider tile then copies
      const tile = new HashTile(concat(list.slice(0, wide)), previous);
      expect(allNodes(tile)).toEqual(allNodes(new HashTile(concat(list.slice(0, wide)))));
      // A chain of edges: the next tile borrows from this one.
      if (wide < 256) {
        const next = new HashTile(concat(list.slice(0, 256)), tile);
        expect(allNodes(next)).toEqual(allNodes(new HashTile(concat(list.slice(0, 256)))));
      }
    }
  });

  it('ignores a "narrower copy" whose hashes are not a prefix of its own, or that is wider', () => {
    const list = hashes(64);
    const other = new HashTile(concat(hashes(80).slice(40, 70)));
    allNodes(other);
    const tile = new HashTile(concat(list.slice(0, 40)), other);
    expect(allNodes(tile)).toEqual(allNodes(new HashTile(concat(list.slice(0, 40)))));
    const wider = new HashTile(concat(list));
    allNodes(wider);
    expect(allNodes(new HashTile(concat(list.slice(0, 40)), wider))).toEqual(allNodes(new HashTile(concat(list.slice(0, 40)))));
  });
});
