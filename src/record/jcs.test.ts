import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalize, type JsonValue, recordFieldsOf, stringField } from './jcs.js';
import { parseRecord } from './json.js';
import { malformed, referenceJcs } from './testing.js';

/** The double whose IEEE 754 bits are `bits` (16 hex digits), as RFC 8785 Appendix B lists them. */
function double(bits: string): number {
  return Buffer.from(bits, 'hex').readDoubleBE(0);
}

describe('canonicalize: RFC 8785', () => {
  test('Appendix B: number serialisation samples', () => {
    const samples: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'], // minus zero
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [bits, expected] of samples) expect(canonicalize(double(bits)), bits).toBe(expected);
  });

  test('Appendix B samples that I-JSON refuses: NaN, Infinity, and integers written beyond 2^53−1', () => {
    expect(malformed(() => canonicalize(double('7fffffffffffffff')))).toBe('NaN is not a JSON number; I-JSON numbers are finite');
    expect(malformed(() => canonicalize(double('7ff0000000000000')))).toMatch(/Infinity is not a JSON number/);
    // 9007199254740992 and 295147905179352830000 are in the RFC's table; as plain integers beyond
    // 2^53−1 our parser would refuse them, so canonicalize refuses to write them.
    expect(malformed(() => canonicalize(double('4340000000000000')))).toBe(
      'the integer 9007199254740992 is beyond ±(2^53−1) = ±9007199254740991; send larger integers as strings',
    );
    expect(malformed(() => canonicalize(double('c340000000000000')))).toMatch(/-9007199254740992/);
    expect(malformed(() => canonicalize(double('4430000000000000')))).toMatch(/295147905179352830000/);
    expect(malformed(() => canonicalize(double('444b1ae4d6e2ef4f')))).toMatch(/999999999999999900000/);
  });

  test('§3.2.2 example', () => {
    const value: JsonValue = {
      numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
      string: '\u20ac$\u000f\nA\'B"\\\\"/',
      literals: [null, true, false],
    };
    expect(canonicalize(value)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  test('§3.2.3 sorting example: UTF-16 code unit order, not code point order', () => {
    const value: JsonValue = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalize(value)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  test('nested objects are sorted at every level; arrays keep their order', () => {
    expect(canonicalize({ b: [{ z: 1, y: 2 }, 3], a: { d: {}, c: [] } })).toBe('{"a":{"c":[],"d":{}},"b":[{"y":2,"z":1},3]}');
  });

  test('what is not a JSON value is a TypeError; what I-JSON forbids is malformed', () => {
    expect(() => canonicalize(undefined as unknown as JsonValue)).toThrow(TypeError);
    expect(() => canonicalize({ a: undefined } as unknown as JsonValue)).toThrow(TypeError);
    expect(() => canonicalize(1n as unknown as JsonValue)).toThrow(TypeError);
    expect(() => canonicalize(new Date(0) as unknown as JsonValue)).toThrow(TypeError);
    expect(() => canonicalize([1, , 3] as unknown as JsonValue)).toThrow(/hole at index 1/);
    expect(malformed(() => canonicalize('\ud800'))).toMatch(/lone surrogate/);
    expect(malformed(() => canonicalize({ ['\udc00']: 1 }))).toMatch(/lone surrogate/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalize(cycle as JsonValue)).toThrow(RangeError);
  });

  test('objects with a null prototype and __proto__ as an own name are fine', () => {
    const value = Object.create(null) as Record<string, JsonValue>;
    value.b = 1;
    Object.defineProperty(value, '__proto__', { value: 2, enumerable: true });
    expect(canonicalize(value)).toBe('{"__proto__":2,"b":1}');
    expect(canonicalize(JSON.parse('{"__proto__":{"x":1}}') as JsonValue)).toBe('{"__proto__":{"x":1}}');
  });

  test('agrees with the parser and with a naive reference on random values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary', maxDepth: 5 }), (value) => {
        let jcs: string;
        try {
          jcs = canonicalize(value as JsonValue);
        } catch {
          // Only unsafe integers can be refused here.
          expect(JSON.stringify(value)).toMatch(/\d{16}/);
          return;
        }
        expect(jcs).toBe(referenceJcs(value));
        const fields = parseRecord(new TextEncoder().encode(`{"v":${JSON.stringify(value)}}`));
        expect(fields[0]!.jcs).toBe(jcs);
      }),
      { numRuns: 300 },
    );
  });
});

describe('recordFieldsOf and stringField', () => {
  test('an erasure record, as the log builds it (PROTOCOL §6)', () => {
    const fields = recordFieldsOf({
      target_index: 41,
      fields: ['email', 'prompt'],
      reason: 'GDPR Art. 17 request #7',
      requested_by: 'dpo@example.org',
    });
    expect(fields).toEqual([
      { name: 'target_index', jcs: '41' },
      { name: 'fields', jcs: '["email","prompt"]' },
      { name: 'reason', jcs: '"GDPR Art. 17 request #7"' },
      { name: 'requested_by', jcs: '"dpo@example.org"' },
    ]);
  });

  test('the same field rules as submitted records', () => {
    expect(malformed(() => recordFieldsOf({}))).toBe('a record needs at least 1 field');
    expect(malformed(() => recordFieldsOf({ '': 1 }))).toMatch(/field name "" is empty/);
    expect(malformed(() => recordFieldsOf({ 'a\u0085': 1 }))).toMatch(/control character U\+0085/);
    expect(malformed(() => recordFieldsOf({ ['x'.repeat(257)]: 1 }))).toMatch(/257 bytes/);
  });

  test('stringField reads a top-level string, and nothing else', () => {
    const fields = parseRecord(
      new TextEncoder().encode('{"event_id":"ev\\u00e9\\n1","n":1,"s":["x"],"o":{"event_id":"inner"}}'),
    );
    expect(stringField(fields, 'event_id')).toBe('evé\n1');
    expect(stringField(fields, 'n')).toBeUndefined();
    expect(stringField(fields, 's')).toBeUndefined();
    expect(stringField(fields, 'missing')).toBeUndefined();
  });
});
