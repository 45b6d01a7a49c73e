/**
 * C2SP tlog-tiles paths: `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`. Every tile has
 * exactly one path, and the parser accepts nothing else.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TilePathError, entriesPath, formatTileIndex, parseTilePath, tilePath } from './tilepath.js';

describe('formatTileIndex', () => {
  it('writes 3-digit groups, all but the last prefixed with x (the spec example and small numbers)', () => {
    expect(formatTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTileIndex(5)).toBe('005');
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(999)).toBe('999');
    expect(formatTileIndex(1000)).toBe('x001/000');
    expect(formatTileIndex(Number.MAX_SAFE_INTEGER)).toBe('x009/x007/x199/x254/x740/991');
  });

  it('checks n', () => {
    expect(() => formatTileIndex(-1)).toThrow(RangeError);
    expect(() => formatTileIndex(2 ** 53)).toThrow(TypeError);
  });
});

describe('tilePath and entriesPath', () => {
  it('omit .p for full tiles and add .p/<W> for partial ones', () => {
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(tilePath({ level: 2, index: 5, width: 17 })).toBe('tile/2/005.p/17');
    expect(tilePath({ level: 63, index: 0, width: 1 })).toBe('tile/63/000.p/1');
    expect(entriesPath(1234067, 256)).toBe('tile/entries/x001/x234/067');
    expect(entriesPath(0, 255)).toBe('tile/entries/000.p/255');
  });

  it('check level and width', () => {
    expect(() => tilePath({ level: 64, index: 0, width: 256 })).toThrow(new RangeError('tile.level must be at most 63, got 64'));
    expect(() => tilePath({ level: 0, index: 0, width: 0 })).toThrow(new RangeError('tile.width must be 1 to 256, got 0'));
    expect(() => entriesPath(0, 257)).toThrow(new RangeError('width must be 1 to 256, got 257'));
    expect(() => tilePath(null as unknown as { level: number; index: number; width: number })).toThrow(TypeError);
  });
});

describe('parseTilePath', () => {
  it('reads the spec example and partial tiles', () => {
    expect(parseTilePath('tile/0/x001/x234/067')).toEqual({ kind: 'hash', level: 0, index: 1234067, width: 256 });
    expect(parseTilePath('tile/1/x001/x234/067.p/8')).toEqual({ kind: 'hash', level: 1, index: 1234067, width: 8 });
    expect(parseTilePath('tile/entries/000')).toEqual({ kind: 'entries', index: 0, width: 256 });
    expect(parseTilePath('tile/entries/x001/000.p/255')).toEqual({ kind: 'entries', index: 1000, width: 255 });
    expect(parseTilePath('tile/63/x009/x007/x199/x254/x740/991')).toEqual({
      kind: 'hash',
      level: 63,
      index: Number.MAX_SAFE_INTEGER,
      width: 256,
    });
  });

  it('is the inverse of tilePath and entriesPath', () => {
    const tile = fc.record({
      level: fc.integer({ min: 0, max: 63 }),
      index: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.maxSafeNat()),
      width: fc.integer({ min: 1, max: 256 }),
    });
    fc.assert(
      fc.property(tile, (t) => {
        expect(parseTilePath(tilePath(t))).toEqual({ kind: 'hash', ...t });
        expect(parseTilePath(entriesPath(t.index, t.width))).toEqual({ kind: 'entries', index: t.index, width: t.width });
      }),
      { numRuns: 500 },
    );
  });

  // Each rejected form, with the part of the message that says what is wrong.
  const rejected: [string, string][] = [
    ['tile/0/x000/005', 'starts with a zero group "x000"'], // 5 is written 005, not x000/005
    ['tile/0/x000/x001/005', 'starts with a zero group'],
    ['tile/entries/x000/000', 'starts with a zero group'],
    ['tile/0/5', 'the last index group "5" must be exactly 3 digits with no x'],
    ['tile/0/05', 'exactly 3 digits'],
    ['tile/0/0005', 'exactly 3 digits'],
    ['tile/0/x005', 'the last index group "x005" must be exactly 3 digits with no x'],
    ['tile/0/001/234', 'index group "001" must be x followed by exactly 3 digits'],
    ['tile/0/X001/234', 'index group "X001"'],
    ['tile/0/x01/234', 'index group "x01"'],
    ['tile/0/x0001/234', 'index group "x0001"'],
    ['tile/0/x001/23a', 'the last index group "23a"'],
    ['tile/0/x00a/234', 'index group "x00a"'],
    ['tile/0/\u0660\u0660\u0665', 'exactly 3 digits'], // Arabic-Indic digits are not decimal ASCII
    ['tile/0/+05', 'exactly 3 digits'],
    ['tile/0/ 05', 'exactly 3 digits'],
    ['tile/00/000', 'level "00" has a leading zero'],
    ['tile/01/000', 'level "01" has a leading zero'],
    ['tile/64/000', 'level 64 is above 63'],
    ['tile/100/000', 'level 100 is above 63'],
    ['tile/-1/000', 'level "-1" is not a decimal number'],
    ['tile/1e1/000', 'level "1e1" is not a decimal number'],
    ['tile/data/000', 'level "data" is not a decimal number'],
    ['tile/Entries/000', 'level "Entries" is not a decimal number'],
    ['tile//000', 'it has an empty path element (a doubled or trailing slash)'],
    ['tile/0/000.p/0', 'width 0: empty tiles do not exist'],
    ['tile/0/000.p/256', 'width 256: a partial tile has 1 to 255 hashes, a full tile has no .p suffix'],
    ['tile/0/000.p/300', 'width 300'],
    ['tile/0/000.p/007', 'width "007" has a leading zero'],
    ['tile/0/000.p/00', 'width "00" has a leading zero'],
    ['tile/0/000.p/', 'empty path element'],
    ['tile/0/000.p/1x', 'width "1x" is not a decimal number'],
    ['tile/0/000.p', '".p" must be followed by "/<W>"'],
    ['tile/0/000.p/5/6', 'index group "000.p"'],
    ['tile/0/x001.p/5/234', 'index group "x001.p"'],
    ['tile/0/000/', 'empty path element'],
    ['tile/0/', 'empty path element'],
    ['tile/0//000', 'empty path element'],
    ['tile/0', 'it has no tile index'],
    ['tile', 'it has no tile index'],
    ['/tile/0/000', 'it must start with "tile/"'],
    ['tiles/0/000', 'it must start with "tile/"'],
    ['', 'it must start with "tile/"'],
    ['tile/0/x009/x007/x199/x254/x740/992', 'the index is beyond 2^53 − 1'], // 2^53
    ['tile/0/x999/x999/x999/x999/x999/999', 'the index is beyond 2^53 − 1'],
    ['tile/0/x001/x000/x000/x000/x000/x000/000', 'the index has 7 groups'],
  ];

  it.each(rejected)('rejects %j', (path, problem) => {
    let thrown: unknown;
    try {
      parseTilePath(path);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TilePathError);
    const error = thrown as TilePathError;
    expect(error.path).toBe(path);
    expect(error.message).toContain(problem);
    expect(error.message).toContain('accepted: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]');
  });

  it('throws TypeError for a path that is not a string', () => {
    expect(() => parseTilePath(5 as unknown as string)).toThrow(new TypeError('path must be a string'));
  });
});
