import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type Dcbor, DcborError, decodeDcbor, encodeDcbor } from './cbor.js';
import { fromHex, hex } from './testing.js';

const bytesOf = (text: string) => new TextEncoder().encode(text);

describe('encodeDcbor: RFC 8949 vectors, written by hand', () => {
  test('unsigned integers in the shortest form (§3.1, Appendix A, §4.2.1)', () => {
    const vectors: [number, string][] = [
      [0, '00'],
      [1, '01'],
      [10, '0a'],
      [23, '17'],
      [24, '1818'],
      [25, '1819'],
      [100, '1864'],
      [255, '18ff'],
      [256, '190100'],
      [1000, '1903e8'],
      [65535, '19ffff'],
      [65536, '1a00010000'],
      [1000000, '1a000f4240'],
      [4294967295, '1affffffff'],
      [4294967296, '1b0000000100000000'],
      [1000000000000, '1b000000e8d4a51000'],
      [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
    ];
    for (const [n, expected] of vectors) {
      expect(hex(encodeDcbor(n)), String(n)).toBe(expected);
      expect(decodeDcbor(fromHex(expected))).toBe(n);
    }
  });

  test('text strings, byte strings, arrays', () => {
    expect(hex(encodeDcbor(''))).toBe('60');
    expect(hex(encodeDcbor('a'))).toBe('6161');
    expect(hex(encodeDcbor('IETF'))).toBe('6449455446');
    expect(hex(encodeDcbor('"\\'))).toBe('62225c');
    expect(hex(encodeDcbor('\u00fc'))).toBe('62c3bc');
    expect(hex(encodeDcbor('\u6c34'))).toBe('63e6b0b4');
    expect(hex(encodeDcbor('\ud800\udd51'))).toBe('64f0908591');
    expect(hex(encodeDcbor('x'.repeat(24)))).toBe('7818' + '78'.repeat(24));
    expect(hex(encodeDcbor(new Uint8Array(0)))).toBe('40');
    expect(hex(encodeDcbor(Uint8Array.of(1, 2, 3, 4)))).toBe('4401020304');
    expect(hex(encodeDcbor(new Uint8Array(32)))).toBe('5820' + '00'.repeat(32));
    expect(hex(encodeDcbor([]))).toBe('80');
    expect(hex(encodeDcbor([1, 2, 3]))).toBe('83010203');
    expect(hex(encodeDcbor([1, [2, 3], [4, 5]]))).toBe('8301820203820405');
    expect(hex(encodeDcbor(Array.from({ length: 25 }, (_, i) => i + 1)))).toBe(
      '98190102030405060708090a0b0c0d0e0f101112131415161718181819',
    );
  });

  test('map keys are sorted by their encodings: shorter first, then bytewise', () => {
    expect(hex(encodeDcbor(new Map()))).toBe('a0');
    // "aa" is 62 61 61, "b" is 61 62: the shorter key comes first although "aa" < "b" as text.
    expect(hex(encodeDcbor(new Map<string, Dcbor>([['aa', 1], ['b', 2]])))).toBe('a2616202626161' + '01');
    expect(hex(encodeDcbor(new Map<string, Dcbor>([['b', 1], ['a', 2], ['c', 3]])))).toBe('a3616102616201616303');
    // U+FB33 (3 bytes: EF AC B3) before U+1F600 (4 bytes), though UTF-16 order is the other way.
    expect(hex(encodeDcbor(new Map<string, Dcbor>([['\ud83d\ude00', 1], ['\ufb33', 2]])))).toBe(
      'a263efacb30264f09f988001',
    );
    // Same length: by UTF-8 bytes (U+E000 is EE 80 80, U+FFFF is EF BF BF).
    expect(hex(encodeDcbor(new Map<string, Dcbor>([['\uffff', 1], ['\ue000', 2]])))).toBe('a263ee808002' + '63efbfbf01');
    // §4.2.1: a key of 24 bytes has a 2-byte head, so it follows every key of 23 bytes or fewer.
    const long = 'a'.repeat(24);
    const short = 'z'.repeat(23);
    expect(hex(encodeDcbor(new Map<string, Dcbor>([[long, 0], [short, 0]])))).toBe(
      'a2' + '77' + '7a'.repeat(23) + '00' + '7818' + '61'.repeat(24) + '00',
    );
  });

  test('values outside the model are refused', () => {
    expect(() => encodeDcbor(-1)).toThrow(RangeError);
    expect(() => encodeDcbor(1.5)).toThrow(RangeError);
    expect(() => encodeDcbor(2 ** 53)).toThrow(RangeError);
    expect(() => encodeDcbor('\ud800')).toThrow(/lone surrogate/);
    expect(() => encodeDcbor(new Map([['\udc00', 1]]))).toThrow(/lone surrogate/);
    expect(() => encodeDcbor(true as unknown as Dcbor)).toThrow(TypeError);
    expect(() => encodeDcbor(new Map([[1, 1]]) as unknown as Dcbor)).toThrow(TypeError);
  });
});

describe('decodeDcbor refuses what is not the deterministic encoding', () => {
  const refused: [string, string, RegExp][] = [
    ['non-shortest 1-byte argument', '1817', /argument 23 is not in its shortest form/],
    ['non-shortest 2-byte argument', '1900ff', /argument 255 is not in its shortest form/],
    ['non-shortest 4-byte argument', '1a0000ffff', /not in its shortest form/],
    ['non-shortest 8-byte argument', '1b00000000ffffffff', /not in its shortest form/],
    ['non-shortest length of a text', '780161', /not in its shortest form/],
    ['integer above 2^53-1', '1b0020000000000000', /above 2\^53−1/],
    ['indefinite-length byte string', '5f4101ff', /indefinite lengths/],
    ['indefinite-length array', '9f01ff', /indefinite lengths/],
    ['indefinite-length map', 'bf616101ff', /indefinite lengths/],
    ['reserved additional information', '1c', /additional information 28 is reserved/],
    ['negative integer (major type 1)', '20', /major type 1 \(negative integer\)/],
    ['tag (major type 6)', 'c11a514b67b0', /major type 6 \(tag\)/],
    ['false (major type 7)', 'f4', /major type 7/],
    ['float (major type 7)', 'f93c00', /major type 7/],
    ['invalid UTF-8 in text', '62c328', /not valid UTF-8/],
    ['a surrogate encoded in UTF-8', '63eda080', /not valid UTF-8/],
    ['map key that is not text', 'a10101', /map keys must be text strings/],
    ['map keys out of order', 'a2616201616102', /map key "a" is out of order/],
    ['shorter key after a longer one', 'a2626161016162' + '02', /map key "b" is out of order/],
    ['repeated map key', 'a2616101616102', /map key "a" is repeated/],
    ['trailing bytes', '0000', /1 bytes follow the encoded value/],
    ['empty input', '', /cut short/],
    ['truncated argument', '19ff', /cut short/],
    ['truncated text', '6461', /cut short/],
    ['array longer than the input', '9bffffffffffffffff', /above 2\^53−1/],
    ['array count beyond the input', '99ffff00', /cut short/],
  ];
  for (const [what, input, reason] of refused) {
    test(what, () => {
      let error: unknown;
      try {
        decodeDcbor(fromHex(input));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DcborError);
      expect((error as DcborError).message).toMatch(reason);
    });
  }

  test('nesting is limited', () => {
    const deep = fromHex('81'.repeat(40) + '00');
    expect(() => decodeDcbor(deep)).toThrow(/nested more than 32 deep/);
    expect(decodeDcbor(deep, { maxDepth: 41 })).toBeInstanceOf(Array);
  });

  test('decoded byte strings do not alias the input', () => {
    const input = fromHex('43010203');
    const decoded = decodeDcbor(input) as Uint8Array;
    input[1] = 9;
    expect([...decoded]).toEqual([1, 2, 3]);
  });
});

describe('properties', () => {
  const key = fc.string({ unit: 'binary', maxLength: 30 });
  const dcbor: fc.Arbitrary<Dcbor> = fc.letrec<{ value: Dcbor }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.oneof(fc.nat(30), fc.nat(70000), fc.maxSafeNat()),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.array(tie('value'), { maxLength: 5 }),
      fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map((entries) => new Map(entries)),
    ),
  })).value;

  test('decode(encode(x)) equals x', () => {
    fc.assert(
      fc.property(dcbor, (value) => {
        expect(decodeDcbor(encodeDcbor(value))).toEqual(value);
      }),
      { numRuns: 500 },
    );
  });

  test('every head is in its shortest form, and map keys are in encoding order', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        const encoded = encodeDcbor(n);
        const expectedLength = n < 24 ? 1 : n < 2 ** 8 ? 2 : n < 2 ** 16 ? 3 : n < 2 ** 32 ? 5 : 9;
        expect(encoded.length).toBe(expectedLength);
      }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(key, { maxLength: 12 }), (keys) => {
        const encoded = encodeDcbor(new Map(keys.map((k) => [k, 0])));
        const sorted = keys
          .map((k) => encodeDcbor(k))
          .sort((a, b) => Buffer.compare(a, b))
          .map((k) => hex(k) + '00')
          .join('');
        expect(hex(encoded).endsWith(sorted)).toBe(true);
      }),
    );
  });

  test('whatever bytes decode re-encode to the same bytes (one encoding per value)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        let value: Dcbor;
        try {
          value = decodeDcbor(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(DcborError);
          return;
        }
        expect(hex(encodeDcbor(value))).toBe(hex(bytes));
      }),
      { numRuns: 5000 },
    );
  });

  test('text keys of encoded maps decode as the same strings', () => {
    const map = new Map<string, Dcbor>([['é', bytesOf('x')], ['😀', 1]]);
    expect(decodeDcbor(encodeDcbor(map))).toEqual(map);
  });
});
