/**
 * @module
 * C2SP tlog-tiles v0.1.0 resource paths: `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`.
 *
 * The parser accepts exactly what the formatters produce, so every tile has one path: a cache or a
 * file system serving tiles can never hold two copies of one tile under different names.
 */
import { auint } from '../util/bytes.js';
import { MAX_TILE_LEVEL, TILE_WIDTH, atileLevel } from './tile.js';
import type { TileId } from './tile.js';

/** A tile path that is not in the one accepted form. */
export class TilePathError extends Error {
  override readonly name = 'TilePathError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`tile path ${JSON.stringify(path)}: ${problem}; accepted: ${ACCEPTED}`);
  }
}

const ACCEPTED =
  'tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>] with no leading slash, L = 0..63 and W = 1..255 in ' +
  'decimal without leading zeros, N in 3-digit groups, all but the last prefixed with x and no leading x000 group';

export type ParsedTilePath =
  | { readonly kind: 'hash'; readonly level: number; readonly index: number; readonly width: number }
  | { readonly kind: 'entries'; readonly index: number; readonly width: number };

/** At most 6 groups of 3 digits: enough for every safe integer (2^53 − 1 has 16 digits). */
const MAX_GROUPS = 6;
const DIGITS3 = /^[0-9]{3}$/;
const XDIGITS3 = /^x[0-9]{3}$/;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/**
 * tlog-tiles: `<N>` in zero-padded 3-digit path elements, all but the last starting with `x`.
 * 1234067 → `x001/x234/067`, 5 → `005`. Requires a safe non-negative integer.
 */
export function formatTileIndex(n: number): string {
  auint(n, 'n');
  let digits = String(n);
  digits = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += 3) groups.push(digits.slice(i, i + 3));
  return groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
}

/** `tile/<L>/<N>` for a full tile, `tile/<L>/<N>.p/<W>` for a partial one. */
export function tilePath(tile: TileId): string {
  if (typeof tile !== 'object' || tile === null) throw new TypeError('tile must be a TileId { level, index, width }');
  atileLevel(tile.level, 'tile.level');
  return `tile/${tile.level}/${formatTileIndex(tile.index)}${widthSuffix(tile.width, 'tile.width')}`;
}

/** `tile/entries/<N>` for a full entry bundle, `tile/entries/<N>.p/<W>` for a partial one. */
export function entriesPath(index: number, width: number): string {
  return `tile/entries/${formatTileIndex(index)}${widthSuffix(width, 'width')}`;
}

function widthSuffix(width: number, name: string): string {
  auint(width, name);
  if (width === 0 || width > TILE_WIDTH) throw new RangeError(`${name} must be 1 to ${TILE_WIDTH}, got ${width}`);
  return width === TILE_WIDTH ? '' : `.p/${width}`;
}

/** Parses a tile or entry bundle path (without a leading slash); throws TilePathError. */
export function parseTilePath(path: string): ParsedTilePath {
  if (typeof path !== 'string') throw new TypeError('path must be a string');
  const parts = path.split('/');
  const fail = (problem: string): never => {
    throw new TilePathError(path, problem);
  };
  if (parts[0] !== 'tile') fail('it must start with "tile/"');
  if (parts.length < 3) fail('it has no tile index');
  if (parts.includes('')) fail('it has an empty path element (a doubled or trailing slash)');

  const kind = parts[1] === 'entries' ? 'entries' : 'hash';
  let level = 0;
  if (kind === 'hash') {
    const text = parts[1]!;
    if (!DECIMAL.test(text)) {
      fail(/^[0-9]+$/.test(text) ? `level "${text}" has a leading zero` : `level "${text}" is not a decimal number`);
    }
    level = Number(text);
    if (level > MAX_TILE_LEVEL) fail(`level ${text} is above ${MAX_TILE_LEVEL}`);
  }

  // A partial tile ends in `<last group>.p/<W>`.
  let groups = parts.slice(2);
  let width = TILE_WIDTH;
  const beforeLast = groups.length >= 2 ? groups[groups.length - 2]! : '';
  if (beforeLast.endsWith('.p')) {
    const text = groups[groups.length - 1]!;
    if (!DECIMAL.test(text)) {
      fail(/^[0-9]+$/.test(text) ? `width "${text}" has a leading zero` : `width "${text}" is not a decimal number`);
    }
    width = Number(text);
    if (width === 0) fail('width 0: empty tiles do not exist');
    if (width >= TILE_WIDTH) fail(`width ${text}: a partial tile has 1 to ${TILE_WIDTH - 1} hashes, a full tile has no .p suffix`);
    groups = groups.slice(0, -1);
    groups[groups.length - 1] = beforeLast.slice(0, -2);
  }

  if (groups[groups.length - 1]!.endsWith('.p')) fail('".p" must be followed by "/<W>"');
  if (groups.length > MAX_GROUPS) fail(`the index has ${groups.length} groups, more than any safe integer needs`);
  let index = 0;
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    const last = i === groups.length - 1;
    if (!(last ? DIGITS3 : XDIGITS3).test(group)) {
      fail(
        last
          ? `the last index group "${group}" must be exactly 3 digits with no x`
          : `index group "${group}" must be x followed by exactly 3 digits`,
      );
    }
    const value = Number(last ? group : group.slice(1));
    if (i === 0 && !last && value === 0) fail(`the index starts with a zero group "${group}"`);
    index = index * 1000 + value;
  }
  // Beyond 2^53 the sum above may round, but never down to a safe integer.
  if (index > Number.MAX_SAFE_INTEGER) fail('the index is beyond 2^53 − 1');

  return kind === 'hash' ? { kind, level, index, width } : { kind, index, width };
}
