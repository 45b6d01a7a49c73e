/**
 * @module
 * The RFC 6962 Merkle tree and C2SP tlog-tiles geometry: pure functions, no I/O.
 */
export { EMPTY_ROOT, HASH_SIZE, hashChildren, hashLeaf } from './hasher.js';
export { foldRightEdge, rightEdgeNodes } from './node.js';
export type { NodeId } from './node.js';
export { buildProof, consistencyPlan, inclusionPlan } from './plan.js';
export {
  ProofError,
  rootFromConsistencyProof,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './verify.js';
export type { ProofErrorCode } from './verify.js';
export { CompactRange } from './compact.js';
export type { NodeVisitor } from './compact.js';
export {
  HashTile,
  TILE_HEIGHT,
  TILE_WIDTH,
  hashCountAtTileLevel,
  tileCountAtLevel,
  tileForNode,
  tileWidth,
} from './tile.js';
export type { NodeInTile, TileId } from './tile.js';
export { TilePathError, entriesPath, formatTileIndex, parseTilePath, tilePath } from './tilepath.js';
export type { ParsedTilePath } from './tilepath.js';
