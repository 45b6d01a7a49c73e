/**
 * @module
 * The right edge of the tree: the compact range (enough to compute the root and append) and the
 * partial tile at each tile level. Passes never mutate a published RightEdge: `extend` works on a
 * copy, which becomes the published edge only after the pass is durable.
 */
import { CompactRange, HashTile, TILE_WIDTH, rightEdgeNodes, tileForNode } from '../merkle/index.js';
import type { LogStore } from '../storage/types.js';
import type { EdgeTiles } from './tiles.js';

const HASH_SIZE = 32;
const TILE_BYTES = TILE_WIDTH * HASH_SIZE;

interface MutableTile {
  readonly level: number;
  readonly index: number;
  width: number;
  readonly hashes: Buffer;
}

export interface TileWrite {
  readonly level: number;
  readonly index: number;
  readonly hashes: Uint8Array;
}

export interface Extension {
  readonly edge: RightEdge;
  /** Every tile the new leaves touched, with its contents after them: what the pass must write. */
  readonly changed: readonly TileWrite[];
  /** The tiles among `changed` that are now full (and so immutable). */
  readonly completed: readonly TileWrite[];
}

export class RightEdge {
  private constructor(
    private readonly range: CompactRange,
    /** Partial tiles by tile level; a level with no partial tile has no entry. */
    private readonly tiles: ReadonlyMap<number, MutableTile>,
  ) {}

  static empty(): RightEdge {
    return new RightEdge(CompactRange.empty(), new Map());
  }

  /**
   * Rebuilds the edge of a tree of `size` leaves from its partial tiles: one read per tile level,
   * so start-up time depends on log2(size), not on size.
   */
  static async load(size: number, store: LogStore): Promise<RightEdge> {
    const tiles = new Map<number, MutableTile>();
    for (let level = 0, count = size; count > 0; level++, count = Math.floor(count / TILE_WIDTH)) {
      const width = count % TILE_WIDTH;
      if (width === 0) continue;
      const index = Math.floor(count / TILE_WIDTH);
      const stored = await store.readTile(level, index);
      if (stored === undefined || stored.length !== width * HASH_SIZE) {
        throw new Error(
          `store is damaged: tile ${level}/${index} should hold ${width} hashes for tree size ${size}, ` +
            `found ${stored === undefined ? 'none' : stored.length / HASH_SIZE}`,
        );
      }
      const hashes = Buffer.alloc(TILE_BYTES);
      hashes.set(stored);
      tiles.set(level, { level, index, width, hashes });
    }
    const edge = new RightEdge(CompactRange.empty(), tiles);
    const view = edge.published();
    const nodes = rightEdgeNodes(size).map((id) => {
      const { tileLevel, tileIndex, levelInTile, indexInTile } = tileForNode(id);
      const tile = view.get(tileLevel);
      if (!tile || tile.index !== tileIndex) throw new Error(`store is damaged: no partial tile for node ${id.level}/${id.index}`);
      return tile.tile.node(levelInTile, indexInTile);
    });
    return new RightEdge(CompactRange.fromNodes(size, nodes), tiles);
  }

  get size(): number {
    return this.range.size;
  }

  root(): Uint8Array {
    return this.range.root();
  }

  /** A new edge with `leafHashes` appended; this one is left as it was. */
  extend(leafHashes: readonly Uint8Array[]): Extension {
    const range = this.range.clone();
    const tiles = new Map<number, MutableTile>();
    for (const [level, t] of this.tiles) tiles.set(level, { ...t, hashes: Buffer.from(t.hashes) });
    const touched = new Set<MutableTile>();
    const visit = (id: { level: number; index: number }, hash: Uint8Array): void => {
      if (id.level % 8 !== 0) return;
      const level = id.level / 8;
      const index = Math.floor(id.index / TILE_WIDTH);
      const position = id.index % TILE_WIDTH;
      let tile = tiles.get(level);
      if (!tile || tile.index !== index) {
        tile = { level, index, width: 0, hashes: Buffer.alloc(TILE_BYTES) };
        tiles.set(level, tile);
      }
      tile.hashes.set(hash, position * HASH_SIZE);
      tile.width = position + 1;
      touched.add(tile);
    };
    for (const leafHash of leafHashes) range.append(leafHash, visit);

    const changed: TileWrite[] = [];
    const completed: TileWrite[] = [];
    for (const t of touched) {
      const write = { level: t.level, index: t.index, hashes: Buffer.from(t.hashes.subarray(0, t.width * HASH_SIZE)) };
      changed.push(write);
      if (t.width === TILE_WIDTH) completed.push(write);
    }
    for (const [level, t] of tiles) if (t.width === TILE_WIDTH) tiles.delete(level);
    return { edge: new RightEdge(range, tiles), changed, completed };
  }

  /**
   * Read-only views of the partial tiles, for proofs against this edge's tree. `previous`, the views
   * of the edge this one extends, lends them the inner nodes it has computed (HashTile).
   */
  published(previous?: EdgeTiles): EdgeTiles {
    const view = new Map<number, { index: number; tile: HashTile }>();
    for (const [level, t] of this.tiles) {
      const before = previous?.get(level);
      const narrower = before !== undefined && before.index === t.index ? before.tile : undefined;
      view.set(level, { index: t.index, tile: new HashTile(t.hashes.subarray(0, t.width * HASH_SIZE), narrower) });
    }
    return view;
  }
}
