import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LogError } from '../util/errors.js';
import { DEFAULT_RECORD_LIMITS, parseRecord, parseRecordBatch, type RecordField } from './json.js';
import { malformed, referenceJcs } from './testing.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const parse = (text: string) => parseRecord(utf8(text));
/** The JCS of the value of the single field "x". */
const jcsOf = (valueText: string) => {
  const fields = parse(`{"x":${valueText}}`);
  expect(fields).toHaveLength(1);
  return fields[0]!.jcs;
};
const fieldsAsObject = (fields: RecordField[]) => fields.map((f) => [f.name, f.jcs]);

describe('parseRecord: what a record is', () => {
  test('top-level fields come back in submission order, each with the JCS of its value', () => {
    const fields = parse('{ "zeta": 1, "alpha": {"b": [true, null], "a": "x"},\n\t"mid": "v" }\r\n');
    expect(fieldsAsObject(fields)).toEqual([
      ['zeta', '1'],
      ['alpha', '{"a":"x","b":[true,null]}'],
      ['mid', '"v"'],
    ]);
  });

  test('RFC 8785 §3.2.2 example: numbers, string escapes and literals', () => {
    const input =
      '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n' +
      '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n' +
      '  "literals": [null, true, false]\n}';
    expect(fieldsAsObject(parse(input))).toEqual([
      ['numbers', '[333333333.3333333,1e+30,4.5,0.002,1e-27]'],
      ['string', '"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'],
      ['literals', '[null,true,false]'],
    ]);
  });

  test('RFC 8785 §3.2.3 sorting example: member names in UTF-16 code unit order', () => {
    const input =
      '{"x": {"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh",' +
      ' "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control",' +
      ' "\\u00f6": "Latin Small Letter O With Diaeresis"}}';
    const jcs = parse(input)[0]!.jcs;
    // U+1F600 is the pair D83D DE00, which sorts before U+FB33 in UTF-16 (but after it by code point).
    expect(jcs).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  test('numbers take ECMAScript Number-to-string form', () => {
    const cases: [string, string][] = [
      ['0', '0'],
      ['-0', '0'],
      ['-0.0', '0'],
      ['0e10', '0'],
      ['1.0', '1'],
      ['1e21', '1e+21'],
      ['1E+21', '1e+21'],
      ['0.1', '0.1'],
      ['1e-7', '1e-7'],
      ['0.000001', '0.000001'],
      ['5e-324', '5e-324'],
      ['-5e-324', '-5e-324'],
      ['1.7976931348623157e308', '1.7976931348623157e+308'],
      ['333333333.33333329', '333333333.3333333'],
      ['1e+23', '1e+23'],
      ['9007199254740991', '9007199254740991'],
      ['-9007199254740991', '-9007199254740991'],
      ['9007199254740991.0', '9007199254740991'],
      ['123456789012345', '123456789012345'],
      ['1.5e3', '1500'],
    ];
    for (const [literal, expected] of cases) {
      expect(jcsOf(literal), literal).toBe(expected);
    }
  });

  test('strings are escaped exactly as JCS does: only " \\ and C0 controls, short forms where they exist', () => {
    expect(jcsOf('"\\u0000\\u0001\\u001f"')).toBe('"\\u0000\\u0001\\u001f"');
    expect(jcsOf('"\\b\\f\\n\\r\\t"')).toBe('"\\b\\f\\n\\r\\t"');
    expect(jcsOf('"\\u0008\\u000C\\u000a\\u000D\\u0009"')).toBe('"\\b\\f\\n\\r\\t"');
    expect(jcsOf('"\\/ \\u002f /"')).toBe('"/ / /"');
    expect(jcsOf('"\\u007f\\u0080\\u2028\\u2029"')).toBe('"\u007f\u0080\u2028\u2029"');
    expect(jcsOf('"\\u00e9\\u00E9é"')).toBe('"ééé"');
    expect(jcsOf('"\\ud83d\\ude00 😀"')).toBe('"😀 😀"');
    expect(jcsOf('"a\\"b\\\\c"')).toBe('"a\\"b\\\\c"');
    expect(jcsOf('""')).toBe('""');
  });

  test('whitespace inside and around is dropped; nested empty containers stay', () => {
    expect(jcsOf(' { } ')).toBe('{}');
    expect(jcsOf('[ ]')).toBe('[]');
    expect(jcsOf('[ [ ] , { "a" : [ { } ] } ]')).toBe('[[],{"a":[{}]}]');
  });

  test('__proto__, constructor and toString are ordinary names', () => {
    const fields = parse('{"__proto__": {"__proto__": 1, "constructor": 2}, "constructor": "c", "toString": []}');
    expect(fieldsAsObject(fields)).toEqual([
      ['__proto__', '{"__proto__":1,"constructor":2}'],
      ['constructor', '"c"'],
      ['toString', '[]'],
    ]);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  test('field names: 256 bytes of UTF-8 are accepted, counted in bytes not characters', () => {
    expect(parse(`{"${'a'.repeat(256)}":1}`)[0]!.name).toHaveLength(256);
    expect(parse(`{"${'é'.repeat(128)}":1}`)[0]!.name).toHaveLength(128); // 2 bytes each
    expect(parse(`{"${'😀'.repeat(64)}":1}`)[0]!.name).toHaveLength(128); // 4 bytes each
  });

  test('256 fields and 32 levels of nesting are accepted', () => {
    const many = Array.from({ length: 256 }, (_, i) => `"f${i}":${i}`).join(',');
    expect(parse(`{${many}}`)).toHaveLength(256);
    // The record object is level 1, so 31 more arrays make 32.
    expect(jcsOf(`${'['.repeat(31)}${']'.repeat(31)}`)).toBe(`${'['.repeat(31)}${']'.repeat(31)}`);
  });
});

describe('parseRecord: what is refused, and what the message says', () => {
  test('a body that is not valid UTF-8, or that starts with a BOM', () => {
    expect(malformed(() => parseRecord(Uint8Array.of(0xef, 0xbb, 0xbf, ...utf8('{"a":1}'))))).toMatch(
      /byte order mark/,
    );
    expect(malformed(() => parseRecord(Uint8Array.of(0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d)))).toMatch(
      /not valid UTF-8: byte FF at offset 2 cannot start a UTF-8 sequence/,
    );
    // A raw lone surrogate can only arrive as the (invalid) UTF-8 bytes ED A0 80.
    const raw = Uint8Array.of(...utf8('{"a":"'), 0xed, 0xa0, 0x80, ...utf8('"}'));
    expect(malformed(() => parseRecord(raw))).toMatch(/offset 6 encodes a UTF-16 surrogate/);
    // Overlong encoding of "/" and a truncated sequence.
    expect(malformed(() => parseRecord(Uint8Array.of(...utf8('{"a":"'), 0xc0, 0xaf, ...utf8('"}'))))).toMatch(
      /byte C0 at offset 6/,
    );
    expect(malformed(() => parseRecord(Uint8Array.of(...utf8('{"a":"'), 0xe2, 0x82)))).toMatch(/cut short/);
  });

  test('the top level must be an object with at least one and at most 256 fields', () => {
    expect(malformed(() => parse('[{"a":1}]'))).toBe('a record must be a JSON object; got an array (at byte 0)');
    expect(malformed(() => parse(' "a"'))).toBe('a record must be a JSON object; got a string (at byte 1)');
    expect(malformed(() => parse(''))).toBe('a record must be a JSON object; got end of the body (at byte 0)');
    expect(malformed(() => parse('{ }'))).toBe('a record needs 1 to 256 fields; got an empty object (at $)');
    const many = Array.from({ length: 257 }, (_, i) => `"f${i}":${i}`).join(',');
    expect(malformed(() => parse(`{${many}}`))).toMatch(/^a record has at most 256 top-level fields \(at \$, byte \d+\)$/);
    expect(malformed(() => parseRecord(utf8('{"a":1,"b":2}'), { maxFields: 1 }))).toMatch(/at most 1 top-level fields/);
  });

  test('field names: empty, over 256 bytes, or with control characters', () => {
    expect(malformed(() => parse('{"":1}'))).toMatch(/^field name "" is empty; field names are 1 to 256 bytes of UTF-8/);
    expect(malformed(() => parse(`{"${'a'.repeat(257)}":1}`))).toMatch(/is 257 bytes of UTF-8; at most 256 are accepted/);
    expect(malformed(() => parse(`{"${'é'.repeat(128)}a":1}`))).toMatch(/is 257 bytes of UTF-8/);
    for (const escaped of ['\\u0000', '\\n', '\\u001f', '\\u007f', '\\u0080', '\\u009f']) {
      expect(malformed(() => parse(`{"a${escaped}":1}`)), escaped).toMatch(
        /contains the control character U\+00[0-9A-F]{2}; field names may not contain U\+0000–U\+001F or U\+007F–U\+009F/,
      );
    }
    // Nested member names are data, not field names: controls and empty names are fine there.
    expect(jcsOf('{"":1,"\\u0080":2,"\\n":3}')).toBe('{"":1,"\\n":3,"\u0080":2}');
    // U+00A0 is not a control character.
    expect(parse('{"a\\u00a0":1}')[0]!.name).toBe('a\u00a0');
  });

  test('duplicate member names at any depth, compared after unescaping', () => {
    expect(malformed(() => parse('{"a":1,"b":2,"a":3}'))).toBe(
      'duplicate field name "a"; each name may appear only once (at $, byte 13)',
    );
    expect(malformed(() => parse('{"a":1,"\\u0061":2}'))).toMatch(/^duplicate field name "a"/);
    expect(malformed(() => parse('{"m":{"x":{"k":1,"k":2}}}'))).toBe(
      'duplicate member name "k"; each name may appear only once in an object (at $.m.x, byte 17)',
    );
    // Out of order, so found when the object is sorted.
    expect(malformed(() => parse('{"m":[0,{"b":1,"a":2,"b":3}]}'))).toBe(
      'duplicate member name "b"; each name may appear only once in an object (at $.m[1])',
    );
    expect(malformed(() => parse('{"m":{"\\u00e9":1,"é":2}}'))).toMatch(/duplicate member name "é"/);
    // A large object takes the other sorting path.
    const big = Array.from({ length: 40 }, (_, i) => `"k${39 - i}":${i}`).join(',');
    expect(malformed(() => parse(`{"m":{${big},"k7":0}}`))).toMatch(/duplicate member name "k7"/);
    expect(jcsOf(`{${big}}`)).toBe(referenceJcs(JSON.parse(`{${big}}`)));
  });

  test('lone surrogates, escaped', () => {
    expect(malformed(() => parse('{"a":"\\ud800"}'))).toBe(
      '\\ud800 is a lone high surrogate; it must be followed by an escaped low surrogate \\udc00-\\udfff (at $.a, byte 6)',
    );
    expect(malformed(() => parse('{"a":"\\ud800\\u0041"}'))).toMatch(/lone high surrogate/);
    expect(malformed(() => parse('{"a":"\\ud800\\ud800\\udc00"}'))).toMatch(/lone high surrogate/);
    expect(malformed(() => parse('{"a":"x\\udc00"}'))).toBe(
      '\\udc00 is a lone low surrogate; I-JSON strings must be valid Unicode (at $.a, byte 7)',
    );
    expect(malformed(() => parse('{"\\udfff":1}'))).toMatch(/lone low surrogate/);
    expect(malformed(() => parse('{"a":{"\\ud83d":1}}'))).toMatch(/lone high surrogate/);
  });

  test('integers beyond ±(2^53−1), and numbers that would round to such integers', () => {
    expect(malformed(() => parse('{"n":9007199254740992}'))).toBe(
      'the integer 9007199254740992 is beyond ±(2^53−1) = ±9007199254740991; send larger integers as strings (at $.n, byte 5)',
    );
    expect(malformed(() => parse('{"n":-9007199254740992}'))).toMatch(/the integer -9007199254740992 is beyond/);
    expect(malformed(() => parse('{"n":[18446744073709551616]}'))).toMatch(/at \$\.n\[0\]/);
    expect(malformed(() => parse('{"n":9007199254740992.0}'))).toBe(
      'the number 9007199254740992.0 is the integer 9007199254740992, beyond ±(2^53−1) = ±9007199254740991; ' +
        'send larger integers as strings (at $.n, byte 5)',
    );
    expect(malformed(() => parse('{"n":1e20}'))).toMatch(/the integer 100000000000000000000/);
    expect(malformed(() => parse('{"n":9.007199254740993e15}'))).toMatch(/beyond/);
  });

  test('numbers outside the double range, or too small to be anything but 0', () => {
    expect(malformed(() => parse('{"n":1e400}'))).toBe(
      'the number 1e400 is beyond the IEEE 754 double range (±1.7976931348623157e+308) (at $.n, byte 5)',
    );
    expect(malformed(() => parse('{"n":-1.8e308}'))).toMatch(/beyond the IEEE 754 double range/);
    expect(malformed(() => parse('{"n":1e-400}'))).toMatch(/too small for an IEEE 754 double and would become 0/);
    expect(jcsOf('0.0e-400')).toBe('0');
  });

  test('the JSON number grammar, strictly', () => {
    const refused: [string, RegExp][] = [
      ['01', /leading zeros/],
      ['-01', /leading zeros/],
      ['+1', /may not start with '\+'/],
      ['.5', /digit before the decimal point/],
      ['1.', /digit must follow the decimal point/],
      ['1.e5', /digit must follow the decimal point/],
      ['1e', /digit must follow the exponent/],
      ['1e+', /digit must follow the exponent/],
      ['-', /'-' must be followed by a digit/],
      ['-Infinity', /'-' must be followed by a digit/],
      ['NaN', /NaN and Infinity are not JSON numbers/],
      ['Infinity', /NaN and Infinity/],
      ['0x10', /unexpected character "x"; expected ',' or '}'/],
      ['1_000', /unexpected character "_"/],
    ];
    for (const [literal, message] of refused) {
      expect(malformed(() => parse(`{"n":${literal}}`)), literal).toMatch(message);
    }
  });

  test('nesting deeper than 32 levels', () => {
    expect(malformed(() => jcsOf(`${'['.repeat(32)}${']'.repeat(32)}`))).toMatch(
      /^objects and arrays are nested more than 32 deep; at most 32 levels are accepted \(at \$\.x(\[0\]){31}, byte 36\)$/,
    );
    expect(malformed(() => jcsOf(`${'{"a":'.repeat(32)}1${'}'.repeat(32)}`))).toMatch(/nested more than 32 deep/);
    expect(malformed(() => parseRecord(utf8('{"a":[[1]]}'), { maxDepth: 2 }))).toMatch(/nested more than 2 deep/);
    // Far deeper than the stack allows if the limit were not checked first.
    expect(malformed(() => jcsOf('['.repeat(100_000)))).toMatch(/nested more than 32 deep/);
  });

  test('syntax: strings, literals, separators, trailing text', () => {
    const refused: [string, RegExp][] = [
      ['{"a":"x\ny"}', /the control character U\+000A must be escaped in a string \(at \$\.a, byte 7\)/],
      ['{"a":"x\ty"}', /control character U\+0009/],
      ['{"a":"x', /the string is not closed before the end of the body/],
      ['{"a":"\\x"}', /"x" cannot follow a backslash; accepted escapes are/],
      ['{"a":"\\u12"}', /\\u must be followed by 4 hexadecimal digits/],
      ['{"a":"\\u12g4"}', /4 hexadecimal digits/],
      ["{'a':1}", /expected a field name in double quotes/],
      ["{\"a\":'x'}", /strings are written in double quotes/],
      ['{a:1}', /expected a field name in double quotes/],
      ['{"a" 1}', /expected ':' after the member name/],
      ['{"a":1,}', /expected a field name in double quotes \(at \$, byte 7\)/],
      ['{"a":[1,2,]}', /expected a value \(object, array, string, number, true, false or null\) \(at \$\.a\[2\], byte 10\)/],
      ['{"a":[1 2]}', /expected ',' or '\]'/],
      ['{"a":{"b":1 "c":2}}', /expected ',' or '}' \(at \$\.a, byte 12\)/],
      ['{"a":tru}', /unexpected character "t"/],
      ['{"a":True}', /unexpected character "T"/],
      ['{"a":nul', /unexpected character "n"/],
      ['{"a":1', /unexpected end of the body; expected ',' or '}'/],
      ['{"a":1}}', /unexpected character "}" after the record; nothing may follow the JSON value \(at byte 7\)/],
      ['{"a":1} {"b":2}', /after the record/],
      ['{"a":1}\u00a0', /unexpected character "\u00a0" after the record/],
      ['\u00a0{"a":1}', /got character "\u00a0"/],
      ['{"a":\u000b1}', /unexpected character U\+000B/],
      ['{"a":1}\u0000', /unexpected character U\+0000/],
    ];
    for (const [text, message] of refused) {
      expect(malformed(() => parse(text)), JSON.stringify(text)).toMatch(message);
    }
  });

  test('paths quote names that are not identifiers; byte offsets count UTF-8 bytes', () => {
    expect(malformed(() => parse('{"é":{"a b":[0,{"$ok":nope}]}}'))).toBe(
      'unexpected character "n"; expected a value (object, array, string, number, true, false or null) ' +
        '(at $["é"]["a b"][1].$ok, byte 23)',
    );
  });

  test('the record size limit', () => {
    const text = `{"a":"${'x'.repeat(100)}"}`;
    expect(parseRecord(utf8(text), { maxRecordBytes: text.length })).toHaveLength(1);
    expect(malformed(() => parseRecord(utf8(text), { maxRecordBytes: text.length - 1 }), 'tooLarge')).toBe(
      `the record is ${text.length} bytes; at most ${text.length - 1} are accepted`,
    );
  });

  test('limits must be positive integers (a programming error, not a client error)', () => {
    expect(() => parseRecord(utf8('{"a":1}'), { maxDepth: 0 })).toThrow(RangeError);
    expect(() => parseRecord(utf8('{"a":1}'), { maxFields: 1.5 })).toThrow(TypeError);
    expect(() => parseRecord('{"a":1}' as unknown as Uint8Array)).toThrow(TypeError);
    expect(DEFAULT_RECORD_LIMITS).toEqual({ maxFields: 256, maxDepth: 32, maxRecordBytes: 1048576, maxBatch: 1000 });
  });
});

describe('parseRecordBatch', () => {
  test('an array of records, each parsed like a single record', () => {
    const records = parseRecordBatch(utf8(' [ {"a": 1}, {"b": {"y": 2, "x": 1}} ] '));
    expect(records.map(fieldsAsObject)).toEqual([[['a', '1']], [['b', '{"x":1,"y":2}']]]);
  });

  test('messages about one record start with its index', () => {
    expect(malformed(() => parseRecordBatch(utf8('[{"a":1},{"a":1,"a":2}]')))).toBe(
      'record 1: duplicate field name "a"; each name may appear only once (at $, byte 16)',
    );
    expect(malformed(() => parseRecordBatch(utf8('[{"a":1},{"a":1},{"n":{"m":1e999}}]')))).toMatch(
      /^record 2: the number 1e999 is beyond .* \(at \$\.n\.m, byte 27\)$/,
    );
    expect(malformed(() => parseRecordBatch(utf8('[{"a":1}, 3]')))).toBe(
      'record 1: a record must be a JSON object; got a number (at byte 10)',
    );
    expect(malformed(() => parseRecordBatch(utf8('[{"a":1},{}]')))).toMatch(/^record 1: a record needs 1 to 256 fields/);
  });

  test('the batch itself: an array of 1..maxBatch records, nothing after it', () => {
    expect(malformed(() => parseRecordBatch(utf8('{"a":1}')))).toBe(
      'a batch must be a JSON array of 1 to 1000 records (at byte 0)',
    );
    expect(malformed(() => parseRecordBatch(utf8('[ ]')))).toBe(
      'a batch must hold 1 to 1000 records; got an empty array',
    );
    expect(malformed(() => parseRecordBatch(utf8('[{"a":1} {"b":2}]')))).toMatch(
      /expected ',' or '\]' after record 0 \(at byte 9\)/,
    );
    expect(malformed(() => parseRecordBatch(utf8('[{"a":1},]')))).toMatch(/^record 1: a record must be a JSON object/);
    expect(malformed(() => parseRecordBatch(utf8('[{"a":1}] x')))).toMatch(/after the batch/);
    const three = utf8('[{"a":1},{"a":2},{"a":3}]');
    expect(parseRecordBatch(three, { maxBatch: 3 })).toHaveLength(3);
    expect(malformed(() => parseRecordBatch(three, { maxBatch: 2 }))).toBe('record 2: a batch holds at most 2 records');
    const full = `[${Array.from({ length: 1000 }, (_, i) => `{"i":${i}}`).join(',')}]`;
    expect(parseRecordBatch(utf8(full))).toHaveLength(1000);
    expect(malformed(() => parseRecordBatch(utf8(full.replace(/]$/, ',{"i":1000}]'))))).toBe(
      'record 1000: a batch holds at most 1000 records',
    );
  });

  test("each record's byte span is limited, counted in UTF-8 bytes", () => {
    const record = `{"a":"${'é'.repeat(20)}"}`; // 8 + 40 bytes
    const body = utf8(`[{"b":1}, ${record}]`);
    expect(parseRecordBatch(body, { maxRecordBytes: 48 })).toHaveLength(2);
    expect(malformed(() => parseRecordBatch(body, { maxRecordBytes: 47 }), 'tooLarge')).toBe(
      'record 1: the record is 48 bytes; at most 47 are accepted',
    );
  });
});

describe('properties', () => {
  const safeValues = fc.jsonValue({ stringUnit: 'binary', maxDepth: 6 });
  const hasUnsafeInteger = (value: unknown): boolean => {
    if (typeof value === 'number') return Math.abs(value) > Number.MAX_SAFE_INTEGER && Math.abs(value) < 1e21;
    if (Array.isArray(value)) return value.some(hasUnsafeInteger);
    if (value !== null && typeof value === 'object') return Object.values(value).some(hasUnsafeInteger);
    return false;
  };
  const fieldName = fc
    .string({ unit: 'binary', minLength: 1, maxLength: 20 })
    .filter((n) => !/[\u0000-\u001f\u007f-\u009f]/.test(n));

  test('the JCS of every field equals a naive canonicaliser run on JSON.parse output', () => {
    fc.assert(
      fc.property(fc.dictionary(fieldName, safeValues, { minKeys: 1, maxKeys: 8 }), fc.nat(3), (record, indent) => {
        fc.pre(!hasUnsafeInteger(record));
        const text = JSON.stringify(record, null, indent);
        const fields = parseRecord(utf8(text));
        const reference = JSON.parse(text) as Record<string, unknown>;
        expect(fields.map((f) => f.name)).toEqual(Object.keys(reference));
        for (const field of fields) expect(field.jcs).toBe(referenceJcs(reference[field.name]));
      }),
      { numRuns: 300 },
    );
  });

  test('canonical text is a fixed point: parsing it again gives it back', () => {
    fc.assert(
      fc.property(safeValues, (value) => {
        fc.pre(!hasUnsafeInteger(value));
        const once = jcsOf(JSON.stringify(value, null, 2));
        expect(jcsOf(once)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  test('a repeated member name anywhere is refused', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), safeValues, { minKeys: 1, maxKeys: 5 }),
        fc.nat(),
        (object, pick) => {
          fc.pre(!hasUnsafeInteger(object));
          const names = Object.keys(object);
          const name = names[pick % names.length]!;
          const text = `{"outer":${JSON.stringify(object).slice(0, -1)},${JSON.stringify(name)}:0}}`;
          expect(malformed(() => parseRecord(utf8(text)))).toMatch(/^duplicate member name/);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('integers are accepted up to ±(2^53−1) and refused beyond', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), (n) => {
        const text = `{"n":${n}}`;
        if (n >= -(2n ** 53n - 1n) && n <= 2n ** 53n - 1n) {
          expect(parse(text)[0]!.jcs).toBe(n.toString());
        } else {
          expect(malformed(() => parse(text))).toMatch(/send larger integers as strings/);
        }
      }),
    );
  });

  test('doubles: any finite double written as JSON.stringify writes it is read back exactly', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        fc.pre(!hasUnsafeInteger(d));
        expect(jcsOf(JSON.stringify(d))).toBe(String(d));
        // -0 is written as 0 (RFC 8785 §3.2.2.3), hence == rather than Object.is.
        expect(Number(jcsOf(d.toExponential())) === d).toBe(true);
      }),
    );
  });

  test('arbitrary bytes never cause anything but LogError malformed', () => {
    const jsonish = fc
      .array(fc.constantFrom(...'{}[]",:\\ 0123456789-+.eEtrufalsn\u00e9\ud83d\ude00'.split(''), 'u', '\n'), {
        maxLength: 60,
      })
      .map((parts) => utf8(parts.join('')));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), jsonish), (bytes) => {
        for (const run of [() => parseRecord(bytes), () => parseRecordBatch(bytes)]) {
          try {
            run();
          } catch (error) {
            expect(error).toBeInstanceOf(LogError);
            expect((error as LogError).code).toBe('malformed');
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('valid records with one byte changed are parsed or refused with LogError, never anything else', () => {
    fc.assert(
      fc.property(safeValues, fc.nat(), fc.integer({ min: 0, max: 255 }), (value, at, byte) => {
        const bytes = utf8(JSON.stringify({ v: value }));
        bytes[at % bytes.length] = byte;
        try {
          parseRecord(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(LogError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
