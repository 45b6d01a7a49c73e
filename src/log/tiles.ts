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
  /**
   * Tiles being read, by `level/index`: concurrent requests for the same tile (proofs of nearby
   * leaves, which a client asks for together) share one read and one HashTile, so its inner nodes
   * are hashed once rather than once per request (up to 255 hashes each). Only tiles left of the
   * published edge are ever read, and those are full and never change, so sharing a read is exact.
   */
  private readonly loading = new Map<string, Promise<HashTile>>();
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
   * The hashes of `nodes`, in order, when every tile they need is in memory (the right edge or the
   * cache), which is always the case for the receipts of a pass and, once the log has been read a
   * while, for most proofs; undefined when one must be read (then `hashes`). A proof's nodes come a
   * tile at a time (from the leaf up), so each run of nodes in one tile looks the tile up once.
   */
  hashesNow(nodes: readonly NodeId[]): Uint8Array[] | undefined {
    const hashes = new Array<Uint8Array>(nodes.length);
    let tile: HashTile | undefined;
    let tileLevel = -1;
    let tileIndex = -1;
    for (let i = 0; i < nodes.length; i++) {
      const at = tileForNode(nodes[i]!);
      if (tile === undefined || at.tileLevel !== tileLevel || at.tileIndex !== tileIndex) {
        ({ tileLevel, tileIndex } = at);
        tile = this.lookup(tileLevel, tileIndex);
        if (tile === undefined) return undefined;
      }
      hashes[i] = tile.node(at.levelInTile, at.indexInTile);
    }
    return hashes;
  }

  /**
   * The hashes of `nodes`, in order, after loading every tile they need.
   * Requires each node to be complete in the published tree.
   */
  async hashes(nodes: readonly NodeId[]): Promise<Uint8Array[]> {
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
        let load = this.loading.get(m.key);
        if (load === undefined) {
          load = this.read(m.level, m.index).finally(() => this.loading.delete(m.key));
          this.loading.set(m.key, load);
        }
        tiles.set(m.key, await load);
      }),
    );
    // The tiles are held here, not looked up again: the cache may have evicted one meanwhile.
    return nodes.map((id) => {
      const { tileLevel, tileIndex, levelInTile, indexInTile } = tileForNode(id);
      return tiles.get(`${tileLevel}/${tileIndex}`)!.node(levelInTile, indexInTile);
    });
  }

  /** Reads a tile from the store; a full one is remembered. */
  private async read(level: number, index: number): Promise<HashTile> {
    const hashes = await this.store.readTile(level, index);
    if (hashes === undefined || hashes.length === 0 || hashes.length % HASH_SIZE !== 0) {
      throw new Error(`tile ${level}/${index} is missing or damaged in the store`);
    }
    const tile = new HashTile(hashes);
    if (tile.width === TILE_WIDTH) this.remember(level, index, tile);
    return tile;
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
