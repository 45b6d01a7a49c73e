import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encodeDcbor, type Dcbor } from './cbor.js';
import { decodeLeaf, encodeLeaf, type Leaf, LeafError, leafKind, MAX_LEAF_INPUT_BYTES } from './leaf.js';
import { fromHex, hex } from './testing.js';
import { isWellFormed } from './text.js';

const digest = new Uint8Array(32).map((_, i) => i);
const leaf: Leaf = { kind: 'erasure', time: 23, submitter: 'log', record: digest };

/** A leaf_input built with the generic encoder from explicit entries, to make invalid leaves. */
function generic(entries: [string, Dcbor][]): Uint8Array {
  return encodeDcbor(new Map(entries));
}
const validEntries = (): [string, Dcbor][] => [
  ['v', 1],
  ['kind', 'record'],
  ['time', 1763900000000],
  ['submitter', 'alice'],
  ['record', digest],
];

function leafError(bytes: Uint8Array): string {
  try {
    decodeLeaf(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(LeafError);
    return (error as Error).message;
  }
  throw new Error('expected a LeafError');
}

describe('encodeLeaf', () => {
  test('keys in encoding order v, kind, time, record, submitter; written by hand from RFC 8949', () => {
    expect(hex(encodeLeaf(leaf))).toBe(
      'a5' + '6176' + '01' + '646b696e64' + '67' + '65726173757265' + '6474696d65' + '17' +
        '667265636f7264' + '5820' + hex(digest) + '697375626d6974746572' + '636c6f67',
    );
  });

  test('the specialised encoder agrees with the generic one', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Leaf['kind']>('record', 'erasure'),
        fc.maxSafeNat(),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (kind, time, submitter, record) => {
          const encoded = encodeLeaf({ kind, time, submitter, record });
          const expected = generic([['v', 1], ['kind', kind], ['time', time], ['submitter', submitter], ['record', record]]);
          expect(hex(encoded)).toBe(hex(expected));
          expect(decodeLeaf(encoded)).toEqual({ kind, time, submitter, record });
        },
      ),
    );
  });

  test('refuses leaves PROTOCOL §2 does not allow', () => {
    expect(() => encodeLeaf({ ...leaf, kind: 'other' as Leaf['kind'] })).toThrow(TypeError);
    expect(() => encodeLeaf({ ...leaf, kind: 'toString' as Leaf['kind'] })).toThrow(TypeError);
    expect(() => encodeLeaf({ ...leaf, time: -1 })).toThrow(RangeError);
    expect(() => encodeLeaf({ ...leaf, time: 1.5 })).toThrow(TypeError);
    expect(() => encodeLeaf({ ...leaf, record: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => encodeLeaf({ ...leaf, submitter: '' })).toThrow(RangeError);
    expect(() => encodeLeaf({ ...leaf, submitter: '\ud800' })).toThrow(/lone surrogate/);
    expect(() => encodeLeaf({ ...leaf, submitter: 'x'.repeat(MAX_LEAF_INPUT_BYTES) })).toThrow(/fit a tile entry/);
  });
});

describe('decodeLeaf refuses anything but a canonical leaf', () => {
  test('round trip', () => {
    expect(decodeLeaf(encodeLeaf(leaf))).toEqual(leaf);
  });

  test('not deterministic CBOR', () => {
    const good = hex(encodeLeaf(leaf));
    // "time": 23 written in two bytes (18 17) instead of one.
    const longTime = good.replace('6474696d6517', '6474696d651817');
    expect(leafError(fromHex(longTime))).toMatch(/not deterministic CBOR: argument 23 is not in its shortest form/);
    expect(leafError(fromHex(good + '00'))).toMatch(/bytes follow the encoded value/);
    expect(leafError(fromHex(good.slice(0, -2)))).toMatch(/cut short/);
    // Keys in text order (kind, record, submitter, time, v) instead of encoding order.
    const textOrder =
      'a5' + '646b696e64' + '667265636f7264' + '667265636f7264' + '5820' + hex(digest) +
      '697375626d6974746572' + '65616c696365' + '6474696d65' + '01' + '6176' + '01';
    expect(leafError(fromHex(textOrder))).toMatch(/out of order/);
  });

  test('wrong shape', () => {
    expect(leafError(encodeDcbor([1, 2]))).toBe('leaf_input must be a CBOR map');
    expect(leafError(generic([...validEntries(), ['extra', 1]]))).toMatch(/unknown key "extra"; its keys are exactly v, kind, time, record, submitter/);
    expect(leafError(generic(validEntries().filter(([k]) => k !== 'time')))).toMatch(/has no key "time"/);
    const replace = (key: string, value: Dcbor) => generic(validEntries().map(([k, v]) => [k, k === key ? value : v]));
    expect(leafError(replace('v', 2))).toBe('leaf_input "v" must be 1, got 2');
    expect(leafError(replace('v', '1'))).toBe('leaf_input "v" must be 1, got the text "1"');
    expect(leafError(replace('kind', 'Record'))).toMatch(/"kind" must be "record" or "erasure", got the text "Record"/);
    expect(leafError(replace('time', 'now'))).toMatch(/"time" must be an unsigned integer/);
    expect(leafError(replace('submitter', ''))).toMatch(/"submitter" must be non-empty text/);
    expect(leafError(replace('submitter', new Uint8Array(3)))).toMatch(/"submitter" must be non-empty text, got 3 bytes/);
    expect(leafError(replace('record', new Uint8Array(33)))).toMatch(/"record" must be 32 bytes, got 33 bytes/);
    expect(leafError(replace('record', [1]))).toMatch(/"record" must be 32 bytes, got an array/);
    expect(leafError(new Uint8Array(MAX_LEAF_INPUT_BYTES + 1))).toMatch(/fit a tile entry/);
  });

  test('any single-bit change of a leaf is refused or decodes to a different leaf', () => {
    const good = encodeLeaf({ kind: 'record', time: 1763900000000, submitter: 'alice', record: digest });
    for (let bit = 0; bit < good.length * 8; bit++) {
      const flipped = good.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      let decoded: Leaf;
      try {
        decoded = decodeLeaf(flipped);
      } catch (error) {
        expect(error).toBeInstanceOf(LeafError);
        continue;
      }
      expect(hex(encodeLeaf(decoded))).toBe(hex(flipped));
    }
  });
});

describe('leafKind', () => {
  test('agrees with decodeLeaf on every leaf encodeLeaf makes', () => {
    fc.assert(
      fc.property(fc.constantFrom<Leaf['kind']>('record', 'erasure'), fc.nat({ max: 2 ** 53 - 1 }), fc.string({ minLength: 1, maxLength: 300 }).filter(isWellFormed), (kind, time, submitter) => {
        const leafInput = encodeLeaf({ kind, time, submitter, record: digest });
        expect(leafKind(leafInput)).toBe(kind);
        expect(leafKind(leafInput)).toBe(decodeLeaf(leafInput).kind);
      }),
    );
  });

  test('decodes in full, and so refuses, what does not start like a leaf', () => {
    const leafInput = encodeLeaf({ ...leaf, kind: 'record' });
    // Cut short right after the kind: the prefix matches, the rest is not a leaf.
    expect(() => leafKind(leafInput.subarray(0, 16))).toThrow(LeafError);
    expect(() => leafKind(generic([['v', 1], ['kind', 'other'], ['time', 1], ['submitter', 'a'], ['record', digest]]))).toThrow(LeafError);
    expect(() => leafKind(new Uint8Array(0))).toThrow(LeafError);
  });
});
