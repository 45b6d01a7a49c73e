/**
 * @module
 * Entry bundles: the store keeps the leaf_inputs of entries [256·N, 256·N + w) as one value, in the
 * C2SP tlog-tiles entry-bundle format (each leaf_input as uint16 big-endian length || leaf_input),
 * so `/tile/entries/N` is one read and a pass writes one value per 256 entries instead of one per
 * entry. The newest bundle is partial (w < 256) until the tree grows past it; each pass that adds
 * to it rewrites it whole, as it does the partial tiles.
 */
import { TILE_WIDTH } from '../merkle/index.js';

/** Entries per bundle: the tlog-tiles width, so entry bundle N is the same range as tile 0/N. */
export const BUNDLE_WIDTH = TILE_WIDTH;

function damaged(what: string): never {
  throw new Error(`store is damaged: ${what}`);
}

/**
 * `prefix` (a stored bundle, or nothing) followed by `leafInputs[from, to)`, as one bundle value.
 * Leaf inputs are at most 65535 bytes (MAX_LEAF_INPUT_BYTES), so the length always fits.
 */
export function appendToBundle(prefix: Uint8Array | undefined, leafInputs: readonly Uint8Array[], from: number, to: number): Buffer {
  let size = prefix?.length ?? 0;
  for (let i = from; i < to; i++) size += 2 + leafInputs[i]!.length;
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  if (prefix) {
    out.set(prefix, 0);
    offset = prefix.length;
  }
  for (let i = from; i < to; i++) {
    const leaf = leafInputs[i]!;
    if (leaf.length > 0xffff) throw new RangeError(`a leaf_input of ${leaf.length} bytes does not fit an entry bundle (at most 65535)`);
    out[offset] = leaf.length >>> 8;
    out[offset + 1] = leaf.length & 0xff;
    out.set(leaf, offset + 2);
    offset += 2 + leaf.length;
  }
  return out;
}

/** The leaf_inputs of bundle `index` (views into `bundle`). Throws `store is damaged` on a malformed bundle. */
export function splitBundle(bundle: Uint8Array, index: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  while (offset < bundle.length) {
    if (out.length === BUNDLE_WIDTH || offset + 2 > bundle.length) damaged(`entry bundle ${index} is malformed`);
    const length = (bundle[offset]! << 8) | bundle[offset + 1]!;
    offset += 2;
    if (offset + length > bundle.length) damaged(`entry bundle ${index} is malformed`);
    out.push(bundle.subarray(offset, offset + length));
    offset += length;
  }
  return out;
}

/**
 * Where the first `width` entries of bundle `index` end, or undefined if it holds fewer. Reads only
 * their lengths. Throws `store is damaged` on a malformed bundle.
 */
function endOf(bundle: Uint8Array, index: number, width: number): number | undefined {
  let offset = 0;
  for (let n = 0; n < width; n++) {
    if (offset === bundle.length) return undefined;
    if (offset + 2 > bundle.length) damaged(`entry bundle ${index} is malformed`);
    offset += 2 + ((bundle[offset]! << 8) | bundle[offset + 1]!);
    if (offset > bundle.length) damaged(`entry bundle ${index} is malformed`);
  }
  return offset;
}

/** The first `width` entries of bundle `index` as a bundle value (a view), or undefined if it holds fewer. */
export function bundlePrefix(bundle: Uint8Array, index: number, width: number): Uint8Array | undefined {
  const end = endOf(bundle, index, width);
  return end === undefined ? undefined : bundle.subarray(0, end);
}

/** The leaf_input at `position` in bundle `index` (a view), or undefined if it holds fewer entries. */
export function bundleEntry(bundle: Uint8Array, index: number, position: number): Uint8Array | undefined {
  const at = endOf(bundle, index, position);
  if (at === undefined || at === bundle.length) return undefined;
  const end = endOf(bundle.subarray(at), index, 1)!;
  return bundle.subarray(at + 2, at + end);
}

/** How many entries a bundle holds. Throws `store is damaged` on a malformed bundle. */
export function bundleWidth(bundle: Uint8Array, index: number): number {
  return splitBundle(bundle, index).length;
}
