/**
 * @module
 * C2SP tlog-tiles v0.1.0 geometry: which tile holds which hashes, tile paths, and the nodes inside
 * a tile.
 *
 * A tile at tile level L is a run of up to 256 consecutive hashes of tree level 8·L; its hashes are
 * the leaves of a perfect subtree of height 8, whose inner levels are recomputed by hashing up.
 */
import { abytes, auint } from '../util/bytes.js';
import { HASH_SIZE, hashChildren } from './hasher.js';
import { anode } from './node.js';
import type { NodeId } from './node.js';

/** Tree levels per tile level. */
export const TILE_HEIGHT = 8;
/** Hashes in a full tile: 2^TILE_HEIGHT. */
export const TILE_WIDTH = 256;
/** tlog-tiles: `<L>` is between 0 and 63. */
export const MAX_TILE_LEVEL = 63;

/** A hash tile: `width` hashes (1..256, 256 = full) of tree level 8·level, starting at 256·index. */
export interface TileId {
  readonly level: number;
  readonly index: number;
  readonly width: number;
}

/** Where the hash of a perfect subtree comes from: the tile whose hashes it is built from. */
export interface NodeInTile {
  /** floor(level / 8). */
  readonly tileLevel: number;
  readonly tileIndex: number;
  /** level mod 8: 0 is a hash stored in the tile, higher levels are hashed up from it. */
  readonly levelInTile: number;
  /** Index of the node among the tile's nodes at levelInTile. */
  readonly indexInTile: number;
  /** The tile must hold at least this many hashes for the node to be complete. */
  readonly minWidth: number;
}

/**
 * Locates perfect subtree `id` in the tiles: tile level floor(level/8) holds the hashes of tree
 * level 8·floor(level/8) that the node is the MTH of.
 */
export function tileForNode(id: NodeId): NodeInTile {
  anode(id, 'id');
  const tileLevel = Math.floor(id.level / TILE_HEIGHT);
  const levelInTile = id.level % TILE_HEIGHT;
  // Shifts rather than 2 ** x (a call to pow): exact, levelInTile being 0..7. Proofs locate every node.
  const perTile = TILE_WIDTH >> levelInTile;
  const tileIndex = Math.floor(id.index / perTile);
  const indexInTile = id.index - tileIndex * perTile;
  return { tileLevel, tileIndex, levelInTile, indexInTile, minWidth: (indexInTile + 1) * (1 << levelInTile) };
}

/** Number of hashes stored at tile level `tileLevel` for a tree of `treeSize`: floor(n / 256^L). */
export function hashCountAtTileLevel(treeSize: number, tileLevel: number): number {
  auint(treeSize, 'treeSize');
  atileLevel(tileLevel, 'tileLevel');
  return Math.floor(treeSize / TILE_WIDTH ** tileLevel);
}

/** Number of tiles, full and partial, at tile level `tileLevel` for a tree of `treeSize`. */
export function tileCountAtLevel(treeSize: number, tileLevel: number): number {
  return Math.ceil(hashCountAtTileLevel(treeSize, tileLevel) / TILE_WIDTH);
}

/**
 * Width of tile (`tileLevel`, `tileIndex`) in the tree of `treeSize`: 256 when full, 1..255 when
 * partial (tlog-tiles: floor(s / 256^l) mod 256), 0 when the tree has no such tile.
 */
export function tileWidth(treeSize: number, tileLevel: number, tileIndex: number): number {
  auint(tileIndex, 'tileIndex');
  const count = hashCountAtTileLevel(treeSize, tileLevel);
  const begin = tileIndex * TILE_WIDTH;
  return count <= begin ? 0 : Math.min(TILE_WIDTH, count - begin);
}

/**
 * The hashes of one tile, with the inner levels of its subtree computed on first use and kept.
 * Level 0 of the tile is the stored hashes; level 8 is the MTH of a full tile.
 */
export class HashTile {
  /** Number of hashes, 1..256. */
  readonly width: number;
  /** levels[l] is the concatenation of the complete nodes at level l of the tile. */
  readonly #levels: (Uint8Array | undefined)[];

  /**
   * The inner levels a narrower copy of this tile had computed (see the constructor), each dropped
   * once this tile has built its own level from it. Only the arrays are kept, never the narrower
   * tile, so that successive edges do not hold on to one another.
   */
  #inherited: { readonly width: number; readonly levels: (Uint8Array | undefined)[] } | undefined;

  /**
   * `hashes`: the tile's 32-byte hashes, concatenated (1 to 256 of them). They are copied.
   *
   * `previous`, if given, is this tile as it was when narrower (the right edge before a pass): the
   * inner nodes it already computed are reused instead of hashed again, which matters because the
   * log makes a new tile for its right edge at every pass. It is ignored unless its hashes are a
   * prefix of `hashes`.
   */
  constructor(hashes: Uint8Array, previous?: HashTile) {
    abytes(hashes, undefined, 'hashes');
    if (hashes.length === 0 || hashes.length % HASH_SIZE !== 0 || hashes.length > TILE_WIDTH * HASH_SIZE) {
      throw new RangeError(`hashes must be 1 to ${TILE_WIDTH} hashes of ${HASH_SIZE} bytes, got ${hashes.length} bytes`);
    }
    this.width = hashes.length / HASH_SIZE;
    this.#levels = new Array<Uint8Array | undefined>(TILE_HEIGHT + 1).fill(undefined);
    // new Uint8Array copies; slice() would not for a Buffer (Buffer#slice is a view).
    this.#levels[0] = new Uint8Array(hashes);
    if (previous !== undefined && previous.width <= this.width && isPrefix(previous.#levels[0]!, this.#levels[0])) {
      const levels = previous.#levels.slice();
      levels[0] = undefined;
      if (levels.some((l) => l !== undefined)) this.#inherited = { width: previous.width, levels };
    }
  }

  /** Hash `i` of the tile. Requires 0 <= i < width. */
  hash(i: number): Uint8Array {
    return this.node(0, i);
  }

  /**
   * The node at `levelInTile` (0..8) and `indexInTile` of the tile's subtree. Requires the node to be
   * complete: (indexInTile + 1) · 2^levelInTile <= width.
   */
  node(levelInTile: number, indexInTile: number): Uint8Array {
    auint(levelInTile, 'levelInTile');
    auint(indexInTile, 'indexInTile');
    if (levelInTile > TILE_HEIGHT) throw new RangeError(`levelInTile must be at most ${TILE_HEIGHT}, got ${levelInTile}`);
    const needed = (indexInTile + 1) * (1 << levelInTile); // levelInTile is 0..8 here
    if (needed > this.width) {
      throw new RangeError(
        `node (level ${levelInTile}, index ${indexInTile}) needs ${needed} hashes, the tile has ${this.width}`,
      );
    }
    const offset = indexInTile * HASH_SIZE;
    return this.#level(levelInTile).slice(offset, offset + HASH_SIZE); // a copy: every level is a plain Uint8Array
  }

  #level(level: number): Uint8Array {
    const known = this.#levels[level];
    if (known !== undefined) return known;
    const below = this.#level(level - 1);
    const count = Math.floor(this.width / 2 ** level);
    const nodes = new Uint8Array(count * HASH_SIZE);
    // The nodes the narrower tile had at this level were built from the same hashes: copied.
    let first = 0;
    const inherited = this.#inherited?.levels[level];
    if (inherited !== undefined) {
      first = Math.floor(this.#inherited!.width / 2 ** level);
      nodes.set(inherited.subarray(0, first * HASH_SIZE));
      this.#inherited!.levels[level] = undefined;
    }
    for (let i = first; i < count; i++) {
      const left = below.subarray(2 * i * HASH_SIZE, (2 * i + 1) * HASH_SIZE);
      const right = below.subarray((2 * i + 1) * HASH_SIZE, (2 * i + 2) * HASH_SIZE);
      nodes.set(hashChildren(left, right), i * HASH_SIZE);
    }
    this.#levels[level] = nodes;
    return nodes;
  }
}

function isPrefix(prefix: Uint8Array, bytes: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  return Buffer.compare(
    Buffer.from(prefix.buffer, prefix.byteOffset, prefix.length),
    Buffer.from(bytes.buffer, bytes.byteOffset, prefix.length),
  ) === 0;
}

/** Throws unless `level` is a tile level, 0..63. */
export function atileLevel(level: unknown, name: string): number {
  auint(level, name);
  if ((level as number) > MAX_TILE_LEVEL) throw new RangeError(`${name} must be at most ${MAX_TILE_LEVEL}, got ${level}`);
  return level as number;
}
