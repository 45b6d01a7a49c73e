import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parserRuns } from '../testing/runs.js';
import { utf8Length, writeUtf8 } from './text.js';

describe('UTF-8 length and writing, short (JavaScript) and long (native) paths alike', () => {
  test('agree with Buffer for every well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.nat(8), (text, offset) => {
        const expected = Buffer.from(text, 'utf8');
        expect(utf8Length(text)).toBe(expected.length);
        const out = new Uint8Array(offset + expected.length);
        expect(writeUtf8(text, out, offset)).toBe(offset + expected.length);
        expect(Buffer.from(out.subarray(offset))).toEqual(expected);
      }),
      { numRuns: parserRuns(500, 20_000) },
    );
  });

  test('refuse a lone surrogate on both paths instead of writing U+FFFD', () => {
    for (const text of ['a\ud800b', `${'x'.repeat(100)}\udc00`]) {
      expect(() => writeUtf8(text, new Uint8Array(400), 0)).toThrow(RangeError);
    }
  });
});
