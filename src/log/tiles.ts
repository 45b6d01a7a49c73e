/**
 * @module
 * Reads perfect-node hashes for proofs out of tiles. Full tiles never change, so they are cached
 * (with their intermediate levels, which HashTile memoizes); the partial tiles on the tree's right
 * edge come from the sequencer's last published pass, never from a half-finished one.
 */
import { HashTile, TILE_WIDTH, tileForNode } from '../merkle/index.js';
import type { NodeId } from '../merkle/index.js';
import type { LogStore } from '../storage/types.js';

const HASH_SIZE = 32;

/** The partial tiles of the published tree, one per tile level (undefined where the edge tile is empty). */
export type EdgeTiles = ReadonlyMap<number, { readonly index: number; readonly tile: HashTile }>;

export class TileCache {
  /** Full tiles, most recently used last. */
  private readonly full = new Map<string, HashTile>();
  private edge: EdgeTiles = new Map();

  constructor(
    private readonly store: LogStore,
    private readonly maxFullTiles = 4096,
  ) {}

  /** The partial tiles of the published tree. */
  get edgeTiles(): EdgeTiles {
    return this.edge;
  }

  /** Called by the sequencer after each published pass. */
  publish(edge: EdgeTiles, completed: readonly { level: number; index: number; hashes: Uint8Array }[]): void {
    const before = this.edge;
    this.edge = edge;
    for (const t of completed) {
      // A tile the pass completed was the edge's partial tile: its inner nodes carry over.
      const partial = before.get(t.level);
      this.remember(t.level, t.index, new HashTile(t.hashes, partial !== undefined && partial.index === t.index ? partial.tile : undefined));
    }
  }

  /**
   * `prepare` without waiting, when every tile the nodes need is in memory (the right edge or the
   * cache), which is always the case for the receipts of a pass; undefined when one must be read.
   */
  prepareNow(nodes: readonly NodeId[]): ((id: NodeId) => Uint8Array) | undefined {
    const hashes = new Map<NodeId, Uint8Array>();
    for (const id of nodes) {
      const { tileLevel, tileIndex, levelInTile, indexInTile } = tileForNode(id);
      const tile = this.lookup(tileLevel, tileIndex);
      if (!tile) return undefined;
      hashes.set(id, tile.node(levelInTile, indexInTile));
    }
    return (id) => {
      const hash = hashes.get(id);
      if (!hash) throw new Error(`node ${id.level}/${id.index} was not prepared`);
      return hash;
    };
  }

  /**
   * Loads every tile the nodes need, then returns a synchronous getter for them.
   * Requires each node to be complete in the published tree.
   */
  async prepare(nodes: readonly NodeId[]): Promise<(id: NodeId) => Uint8Array> {
    const tiles = new Map<string, HashTile>();
    const missing: { key: string; level: number; index: number }[] = [];
    for (const id of nodes) {
      const { tileLevel, tileIndex } = tileForNode(id);
      const key = `${tileLevel}/${tileIndex}`;
      if (tiles.has(key)) continue;
      const tile = this.lookup(tileLevel, tileIndex);
      if (tile) tiles.set(key, tile);
      else if (!missing.some((m) => m.key === key)) missing.push({ key, level: tileLevel, index: tileIndex });
    }
    await Promise.all(
      missing.map(async (m) => {
        const hashes = await this.store.readTile(m.level, m.index);
        if (hashes === undefined || hashes.length === 0 || hashes.length % HASH_SIZE !== 0) {
          throw new Error(`tile ${m.level}/${m.index} is missing or damaged in the store`);
        }
        const tile = new HashTile(hashes);
        if (tile.width === TILE_WIDTH) this.remember(m.level, m.index, tile);
        tiles.set(m.key, tile);
      }),
    );
    return getter(tiles);
  }

  private lookup(level: number, index: number): HashTile | undefined {
    const e = this.edge.get(level);
    if (e && e.index === index) return e.tile;
    const key = `${level}/${index}`;
    const tile = this.full.get(key);
    if (tile) {
      this.full.delete(key);
      this.full.set(key, tile);
    }
    return tile;
  }

  private remember(level: number, index: number, tile: HashTile): void {
    const key = `${level}/${index}`;
    this.full.delete(key);
    this.full.set(key, tile);
    if (this.full.size > this.maxFullTiles) {
      const oldest = this.full.keys().next().value as string;
      this.full.delete(oldest);
    }
  }
}

/** Reads prepared nodes out of `tiles` (keyed `level/index`). */
function getter(tiles: ReadonlyMap<string, HashTile>): (id: NodeId) => Uint8Array {
  return (id) => {
    const { tileLevel, tileIndex, levelInTile, indexInTile } = tileForNode(id);
    const tile = tiles.get(`${tileLevel}/${tileIndex}`);
    if (!tile) throw new Error(`node ${id.level}/${id.index} was not prepared`);
    return tile.node(levelInTile, indexInTile);
  };
}
