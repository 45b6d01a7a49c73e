/**
 * Hostile tile paths (C2SP tlog-tiles; spec/formats.md §10), as properties (issue #5):
 *
 * - any text gives a parsed tile or a TilePathError, nothing else, and whatever is accepted is the
 *   one path the formatters write for that tile (so a cache can never hold a tile twice);
 * - every tile the formatters can name is read back;
 * - each wrong spelling (W of 0 or 256 and above, leading zeros, bad or missing x groups, a leading
 *   x000 group, levels above 63, indexes beyond 2^53 − 1, stray slashes) is refused with a message
 *   that names the problem and ends with the accepted form.
 *
 * SEALTRAIL_LONG=1 runs at least 10,000 cases per property (src/testing/runs.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOSTILE_PIECES, outcome, refusal } from '../testing/hostile.js';
import { longTimeout, parserRuns } from '../testing/runs.js';
import { entriesPath, formatTileIndex, parseTilePath, type ParsedTilePath, tilePath, TilePathError } from './tilepath.js';

const timeout = longTimeout();
const ACCEPTED_TAIL =
  '; accepted: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>] with no leading slash, L = 0..63 and W = 1..255 in ' +
  'decimal without leading zeros, N in 3-digit groups, all but the last prefixed with x and no leading x000 group';

/** The path the formatters write for a parsed tile. */
const formatted = (tile: ParsedTilePath): string =>
  tile.kind === 'hash' ? tilePath({ level: tile.level, index: tile.index, width: tile.width }) : entriesPath(tile.index, tile.width);

const tileArb = fc.record({
  entries: fc.boolean(),
  level: fc.integer({ min: 0, max: 63 }),
  index: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.maxSafeNat(), fc.constantFrom(0, 999, 1000, 999_999, 1_000_000, Number.MAX_SAFE_INTEGER)),
  width: fc.oneof(fc.integer({ min: 1, max: 256 }), fc.constantFrom(1, 255, 256)),
});
const pathOf = (t: { entries: boolean; level: number; index: number; width: number }): string =>
  t.entries ? entriesPath(t.index, t.width) : tilePath(t);

/** Path-like text: the pieces of tile paths and of the usual path tricks, joined at random. */
const pathSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom('tile', 'entries', '/', '//', '.p', '.p/', 'x', 'x000', 'x001', '000', '001', '999', '1000', '0', '00', '5', '63', '64', '255', '256', '257'),
      fc.constantFrom('..', '.', '%2F', '%2e', '%30', '+', '-', ' ', '\\', '?', '#', ';', '\u0000', 'ｘ', '０', '١'),
      fc.constantFrom(...HOSTILE_PIECES),
    ),
    { maxLength: 14 },
  )
  .map((p) => p.join(''));

/** A valid path with one element replaced, dropped, doubled or changed. */
const mutatedPath = fc.tuple(tileArb.map(pathOf), fc.nat(), fc.integer({ min: 0, max: 5 }), fc.constantFrom('', 'x', '0', '/', '.p', 'x0', '01', '256', '0000', ' ', '%30')).map(([path, at, kind, piece]) => {
  const parts = path.split('/');
  const i = at % parts.length;
  switch (kind) {
    case 0: parts[i] = piece; break;
    case 1: parts.splice(i, 1); break;
    case 2: parts.splice(i, 0, parts[i]!); break;
    case 3: parts[i] = `${piece}${parts[i]}`; break;
    case 4: parts[i] = `${parts[i]}${piece}`; break;
    default: return `/${path}`;
  }
  return parts.join('/');
});

describe('parseTilePath on any text', () => {
  it(
    'gives a tile or a TilePathError; what it accepts is exactly the path the formatters write',
    () => {
      fc.assert(
        fc.property(fc.oneof(pathSoup, mutatedPath, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme-ascii', maxLength: 40 })), (path) => {
          const result = outcome(() => parseTilePath(path), TilePathError);
          if (result.ok) expect(formatted(result.value)).toBe(path);
          else {
            expect(result.error.message.startsWith(`tile path ${JSON.stringify(path)}: `)).toBe(true);
            expect(result.error.message.endsWith(ACCEPTED_TAIL)).toBe(true);
          }
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'reads back every tile and entry bundle the formatters name',
    () => {
      fc.assert(
        fc.property(tileArb, (t) => {
          const expected: ParsedTilePath = t.entries ? { kind: 'entries', index: t.index, width: t.width } : { kind: 'hash', level: t.level, index: t.index, width: t.width };
          expect(parseTilePath(pathOf(t))).toEqual(expected);
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );
});

describe('wrong spellings, refused with the problem named', () => {
  const index = fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.maxSafeNat());
  const prefix = fc.oneof(fc.integer({ min: 0, max: 63 }).map((l) => `tile/${l}`), fc.constant('tile/entries'));
  const problem = (path: string): string => {
    const message = refusal(() => parseTilePath(path), TilePathError).message;
    expect(message.endsWith(ACCEPTED_TAIL)).toBe(true);
    return message.slice(`tile path ${JSON.stringify(path)}: `.length, -ACCEPTED_TAIL.length);
  };

  it(
    'W of 0, of 256 and above, with leading zeros, or not decimal',
    () => {
      fc.assert(
        fc.property(prefix, index, fc.oneof(fc.constantFrom(0, 256, 257, 1000), fc.integer({ min: 256, max: 1e9 })), (p, n, w) => {
          const path = `${p}/${formatTileIndex(n)}.p/${w}`;
          expect(problem(path)).toBe(w === 0 ? 'width 0: empty tiles do not exist' : `width ${w}: a partial tile has 1 to 255 hashes, a full tile has no .p suffix`);
        }),
        { numRuns: parserRuns(300) },
      );
      const junk = fc.oneof(fc.constantFrom('0', '00', '+', '-', ' ', 'x').map((j) => [j, ''] as const), fc.constantFrom('+', '-', ' ', 'x', 'e0', '.0', '%30').map((j) => ['', j] as const));
      fc.assert(
        fc.property(prefix, index, fc.integer({ min: 0, max: 255 }), junk, (p, n, w, [before, after]) => {
          const text = `${before}${w}${after}`;
          const path = `${p}/${formatTileIndex(n)}.p/${text}`;
          expect(problem(path)).toMatch(/^width "[^"]*" (has a leading zero|is not a decimal number)$|^width 0: /);
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'levels with leading zeros, not decimal, or above 63',
    () => {
      fc.assert(
        fc.property(fc.oneof(fc.integer({ min: 0, max: 63 }).map((l) => `0${l}`), fc.integer({ min: 64, max: 1e6 }).map(String), fc.constantFrom('-1', '+1', 'x1', '1.0', ' 1', 'ff', '６')), index, (level, n) => {
          expect(problem(`tile/${level}/${formatTileIndex(n)}`)).toMatch(/^level (\S+ is above 63|"[^"]*" (has a leading zero|is not a decimal number))$/);
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'bad x groups: a missing or extra x, groups of other than 3 digits, a leading x000 group, too many groups, beyond 2^53 − 1',
    () => {
      const mutant = fc.tuple(index, fc.integer({ min: 0, max: 6 }), fc.nat()).map(([n, kind, at]) => {
        const groups = formatTileIndex(n).split('/');
        const i = at % groups.length;
        const last = i === groups.length - 1;
        switch (kind) {
          case 0: groups[i] = last ? `x${groups[i]}` : groups[i]!.slice(1); break; // x where it must not be, or none where it must
          case 1: groups[i] = groups[i]!.slice(0, -1); break; // 2 digits
          case 2: groups[i] = `${groups[i]}0`; break; // 4 digits
          case 3: groups.unshift('x000'); break; // a leading zero group
          case 4: groups.unshift(...Array.from({ length: 7 - groups.length }, () => 'x001')); break; // 7 groups
          case 5: groups[i] = groups[i]!.replace(/\d/, 'a'); break;
          default: return 'x009/x007/x199/x254/x740/992'; // 2^53
        }
        return groups.join('/');
      });
      fc.assert(
        fc.property(prefix, mutant, (p, n) => {
          expect(problem(`${p}/${n}`)).toMatch(
            /^(the last index group "[^"]*" must be exactly 3 digits with no x|index group "[^"]*" must be x followed by exactly 3 digits|the index starts with a zero group "x000"|the index has \d+ groups, more than any safe integer needs|the index is beyond 2\^53 − 1)$/,
          );
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'a leading slash, an empty element, a dangling .p, a missing index, another root',
    () => {
      fc.assert(
        fc.property(tileArb.map(pathOf), fc.integer({ min: 0, max: 4 }), (path, kind) => {
          const broken = [`/${path}`, `${path}/`, path.replace('/', '//'), `${path}.p`, path.replace(/^tile/, 'tiles')][kind]!;
          expect(problem(broken)).toMatch(/^(it must start with "tile\/"|it has an empty path element \(a doubled or trailing slash\)|"\.p" must be followed by "\/<W>"|index group .*|the last index group .*|width "[^"]*" is not a decimal number)$/);
        }),
        { numRuns: parserRuns(300) },
      );
      expect(problem('tile/0')).toBe('it has no tile index');
      expect(problem('tile/entries')).toBe('it has no tile index');
    },
    timeout,
  );
});
