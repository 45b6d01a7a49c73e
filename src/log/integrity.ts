/**
 * @module
 * Start-up checks of the stored tree beyond the root (Log.open checks the signed head and recomputes
 * the root from the right edge first). Each reads a constant number of values per tile level, so
 * start-up stays O(log n): the newest full tile of each level is checked against the level above
 * (down from the root, which vouches for the edge), the newest entry and its record against the
 * tree, and nothing may be stored past the tree head. Older full tiles and entries are not read:
 * damage there shows only when a proof or entry that needs them is served (and then fails to verify).
 */
import { HASH_SIZE, HashTile, TILE_WIDTH, hashLeaf } from '../merkle/index.js';
import { decodeLeaf, fieldCommitment, recordDigest } from '../record/index.js';
import type { LogStore } from '../storage/types.js';
import { isErased } from '../storage/types.js';
import { equalBytes } from '../util/bytes.js';

function damaged(what: string): never {
  throw new Error(`store is damaged: ${what}`);
}

/**
 * The newest full tile of each level must hash to the node the level above holds for it. The level
 * above is either the right edge's partial tile (checked by the root) or itself the newest full tile
 * of its level (checked by the next step up), so every tile read here is vouched for by the root.
 * Requires the root to have been checked against the signed head.
 */
export async function checkNewestFullTiles(store: LogStore, size: number): Promise<void> {
  for (let level = 0, count = size; count >= TILE_WIDTH; level++, count = Math.floor(count / TILE_WIDTH)) {
    // `count` nodes at tree level 8·level; the last full tile of them ends at node count − count % 256.
    const index = Math.floor(count / TILE_WIDTH) - 1;
    const tile = await store.readTile(level, index);
    if (!tile || tile.length !== TILE_WIDTH * HASH_SIZE) {
      damaged(`tile ${level}/${index} should hold ${TILE_WIDTH} hashes for tree size ${size}, found ${tile ? tile.length / HASH_SIZE : 'none'}`);
    }
    const aboveIndex = Math.floor(index / TILE_WIDTH);
    const position = index % TILE_WIDTH;
    const above = await store.readTile(level + 1, aboveIndex);
    if (!above || above.length < (position + 1) * HASH_SIZE) {
      damaged(`tile ${level + 1}/${aboveIndex} should hold at least ${position + 1} hashes for tree size ${size}, found ${above ? above.length / HASH_SIZE : 'none'}`);
    }
    if (!equalBytes(new HashTile(tile).node(8, 0), above.subarray(position * HASH_SIZE, (position + 1) * HASH_SIZE))) {
      damaged(`tile ${level}/${index} does not hash to the node tile ${level + 1}/${aboveIndex} holds for it (tree size ${size})`);
    }
  }
}

/**
 * The newest entry is there, is the leaf the tree holds at its index, and its record is there and
 * commits to the leaf's record digest; and no entry is stored past the tree head (a head rolled back
 * to an older one leaves entries after it). Requires the tiles to have been checked (above).
 */
export async function checkNewestEntry(store: LogStore, size: number): Promise<void> {
  if ((await store.readEntry(size)) !== undefined) {
    damaged(`it holds entry ${size}, beyond its tree head of size ${size} (the tree head is older than the entries)`);
  }
  if (size === 0) return;
  const last = size - 1;
  const leafInput = await store.readEntry(last);
  if (!leafInput) damaged(`the newest entry (index ${last}, tree size ${size}) is missing`);
  const tileIndex = Math.floor(last / TILE_WIDTH);
  const position = last % TILE_WIDTH;
  const tile = await store.readTile(0, tileIndex);
  if (!tile || tile.length !== (position + 1) * HASH_SIZE) {
    damaged(`tile 0/${tileIndex} should hold ${position + 1} hashes for tree size ${size}, found ${tile ? tile.length / HASH_SIZE : 'none'}`);
  }
  if (!equalBytes(tile.subarray(position * HASH_SIZE, (position + 1) * HASH_SIZE), hashLeaf(leafInput))) {
    damaged(`the newest entry (index ${last}) is not the leaf that tile 0/${tileIndex} holds at its index`);
  }
  const fields = await store.readRecord(last);
  if (!fields) damaged(`the record of the newest entry (index ${last}) is missing`);
  const commitments = fields.map((f) => [f.name, isErased(f) ? f.commitment : (f.commitment ?? fieldCommitment(f.name, f.jcs, f.salt))] as const);
  if (!equalBytes(recordDigest(commitments), decodeLeaf(leafInput).record)) {
    damaged(`the record of the newest entry (index ${last}) does not match its leaf's record digest`);
  }
}
