/**
 * Hostile input for the record parser (PROTOCOL §2, spec/formats.md §3), as properties over
 * generated bodies (issue #5):
 *
 * - any bytes give fields or a LogError (`malformed`, `tooLarge`), never another exception, with a
 *   bounded message, and leave every built-in prototype as it was;
 * - records generated from a model parse to the model's fields, each with the RFC 8785 text of a
 *   reference canonicalisation written from the RFC (src/testing/json-model.ts);
 * - each kind of broken record is refused with a message that names the problem, the rule, the JSON
 *   path and the byte offset: duplicate names, lone surrogates, controls in field names, numbers
 *   I-JSON refuses. Each limit at and one past its boundary: limits.test.ts.
 *
 * SEALTRAIL_LONG=1 runs at least 10,000 cases per property (src/testing/runs.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogError } from '../util/errors.js';
import { assertPrototypesUntouched, HOSTILE_PIECES, outcome, refusal } from '../testing/hostile.js';
import {
  Choices,
  fieldNameArb,
  HOLE,
  namesOf,
  numberSpellings,
  Obj,
  pathOf,
  placeArb,
  plug,
  recordArb,
  referenceJcs,
  spell,
  spellBody,
  spellString,
  textArb,
  valueArb,
} from '../testing/json-model.js';
import { longTimeout, parserRuns } from '../testing/runs.js';
import { parseRecord, parseRecordBatch, type RecordField, type RecordLimits } from './json.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const seed = fc.integer();
const timeout = longTimeout();

/** The LogError message of a refused record (fails the property if the record is accepted). */
function refused(body: string | Uint8Array, code: 'malformed' | 'tooLarge' = 'malformed', limits?: Partial<RecordLimits>): string {
  const error = refusal(() => parseRecord(typeof body === 'string' ? utf8(body) : body, limits), LogError);
  expect((error as LogError).code).toBe(code);
  return error.message;
}

const fieldsOf = (fields: readonly RecordField[]): [string, string][] => fields.map((f) => [f.name, f.jcs]);
const expectedFields = (record: Obj): [string, string][] => record.members.map(([name, value]) => [name, referenceJcs(value)]);

/**
 * A message must stay short whatever the input: it goes back in the error body and may be shown
 * to people. 32 path segments of at most 64 (escaped) characters, plus the sentence.
 */
const MAX_MESSAGE = 32 * 400 + 1000;

// ---- generators of hostile bodies ----

/** Pieces of JSON and of things that are nearly JSON, joined at random. */
const soup = fc
  .array(
    fc.oneof(
      fc.constantFrom(...'{}[]",:\\ \t\n\r0123456789-+.eEtrufalsn'.split('')),
      fc.constantFrom(...HOSTILE_PIECES),
      fc.constantFrom('{"a":', '"__proto__":', '{"constructor":{"prototype":', '\\u0000', '\\ud800', '\\udc00', '\\ud800\\udc00', '\\u', '\\x', '1e999', '1e-999', '-', '[[[[[[[[', '{"a":{"a":{"a":'),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

/** A valid body with a few bytes replaced, inserted or deleted. */
const mutatedBody = fc
  .tuple(recordArb(), seed, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 4 }))
  .map(([record, s, edits]) => {
    const bytes = [...utf8(spellBody(record, new Choices(s)))];
    for (const [at, byte, kind] of edits) {
      const i = at % (bytes.length + 1);
      if (kind === 0) bytes[Math.min(i, bytes.length - 1)] = byte;
      else if (kind === 1) bytes.splice(i, 0, byte);
      else bytes.splice(i, 1);
    }
    return new Uint8Array(bytes);
  });

/** Byte sequences RFC 3629 forbids: overlong forms, encoded surrogates, above U+10FFFF, cut short. */
const BAD_UTF8: readonly number[][] = [[0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff], [0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98]];

const badUtf8Body = fc.tuple(recordArb(), seed, fc.nat(), fc.constantFrom(...BAD_UTF8)).map(([record, s, at, bad]) => {
  const bytes = [...utf8(spellBody(record, new Choices(s)))];
  bytes.splice(at % (bytes.length + 1), 0, ...bad);
  return { bytes: new Uint8Array(bytes), bad };
});

/** Long names and long numbers nested a few levels: what would make a message flood. */
const longNames = fc
  .tuple(fc.integer({ min: 65, max: 5000 }), fc.integer({ min: 1, max: 6 }), fc.constantFrom('01', '1e999', '"\\ud800"', '+1', '1,"a":1,"a":2', 'x'))
  .map(([length, depth, tail]) => {
    const name = 'n'.repeat(length);
    return utf8(`{"${name}":${`{"${name}":`.repeat(depth)}${tail}${'}'.repeat(depth)}}`);
  });

describe('parseRecord and parseRecordBatch on any input', () => {
  it(
    'return fields or throw LogError malformed/tooLarge with a bounded message, and touch no prototype',
    () => {
      const body = fc.oneof(fc.uint8Array({ maxLength: 300 }), soup.map(utf8), mutatedBody, badUtf8Body.map((b) => b.bytes), longNames);
      fc.assert(
        fc.property(body, (bytes) => {
          for (const parse of [(): unknown => parseRecord(bytes), (): unknown => parseRecordBatch(bytes)]) {
            const result = outcome(parse, LogError);
            if (result.ok) continue;
            expect(['malformed', 'tooLarge']).toContain((result.error as LogError).code);
            expect(result.error.message.length).toBeGreaterThan(10);
            expect(result.error.message.length).toBeLessThanOrEqual(MAX_MESSAGE);
          }
          assertPrototypesUntouched();
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'accept only what they can give back: every accepted field is a valid name and a canonical value',
    () => {
      fc.assert(
        fc.property(fc.oneof(soup.map(utf8), mutatedBody), (bytes) => {
          const result = outcome(() => parseRecord(bytes), LogError);
          if (!result.ok) return;
          for (const field of result.value) {
            // The canonical text is a fixed point: read again, it comes back unchanged.
            expect(fieldsOf(parseRecord(utf8(`{"x":${field.jcs}}`)))).toEqual([['x', field.jcs]]);
          }
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );
});

describe('records generated from a model', () => {
  it(
    'parse to the model fields in submission order, each value in the RFC 8785 text of the reference',
    () => {
      fc.assert(
        fc.property(recordArb(), seed, (record, s) => {
          const body = spellBody(record, new Choices(s));
          expect(fieldsOf(parseRecord(utf8(body)))).toEqual(expectedFields(record));
          assertPrototypesUntouched();
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'parse the same way inside a batch, whatever the spelling of each',
    () => {
      fc.assert(
        fc.property(fc.array(recordArb(3, 3), { minLength: 1, maxLength: 5 }), seed, (records, s) => {
          const c = new Choices(s);
          const body = `[${records.map((r) => spellBody(r, c)).join(',')}]`;
          expect(parseRecordBatch(utf8(body)).map(fieldsOf)).toEqual(records.map(expectedFields));
        }),
        { numRuns: parserRuns(200) },
      );
    },
    timeout,
  );

  it('keep names such as __proto__ and constructor as plain names, at every depth', () => {
    fc.assert(
      fc.property(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'), valueArb(2), seed, (name, value, s) => {
        const polluting = new Obj([['polluted', true], ['isAdmin', true]]);
        const record = new Obj([[name, new Obj([[name, polluting], ['v', value]])], ['b', [new Obj([['__proto__', polluting]])]]]);
        const fields = parseRecord(utf8(spellBody(record, new Choices(s))));
        expect(fieldsOf(fields)).toEqual(expectedFields(record));
        assertPrototypesUntouched();
      }),
      { numRuns: parserRuns(100) },
    );
  });
});

describe('broken records: refused, saying what was wrong and what is accepted', () => {
  it(
    'a repeated name, at the top or at any depth, however it is escaped',
    () => {
      fc.assert(
        fc.property(placeArb(3), fc.uniqueArray(fc.tuple(textArb, valueArb(1)), { selector: (m) => m[0], minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(), seed, (place, members, which, where, s) => {
          const name = members[which % members.length]![0];
          const withDuplicate = [...members];
          withDuplicate.splice(where % (members.length + 1), 0, [name, 0]);
          const body = spell(plug(place, new Obj(withDuplicate)), new Choices(s));
          const message = refused(body);
          expect(message).toMatch(/^duplicate member name .*; each name may appear only once in an object \(at \$/s);
          if (name.length <= 64) expect(message).toContain(JSON.stringify(name));
        }),
        { numRuns: parserRuns(300) },
      );
      fc.assert(
        fc.property(recordArb(5, 2), fc.nat(), fc.nat(), seed, (record, which, where, s) => {
          const name = record.members[which % record.members.length]![0];
          const members = [...record.members];
          members.splice(where % (members.length + 1), 0, [name, null]);
          const message = refused(spell(new Obj(members), new Choices(s)));
          expect(message).toMatch(/^duplicate field name .*; each name may appear only once \(at \$, byte \d+\)$/s);
          if (name.length <= 64) expect(message).toContain(JSON.stringify(name));
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'a lone surrogate escape in any string, name or value, at any depth',
    () => {
      const lone = fc.oneof(fc.integer({ min: 0xd800, max: 0xdbff }), fc.integer({ min: 0xdc00, max: 0xdfff })).map((u) => String.fromCharCode(u));
      const withLone = fc.tuple(textArb, lone, textArb).map(([a, l, b]) => `${a}${l}${b}`);
      fc.assert(
        fc.property(placeArb(3), withLone, fc.boolean(), seed, (place, text, asName, s) => {
          const inner = asName ? new Obj([[text, 1]]) : text;
          const message = refused(spell(plug(place, inner), new Choices(s)));
          expect(message).toMatch(
            /is a lone (low surrogate; I-JSON strings must be valid Unicode|high surrogate; it must be followed by an escaped low surrogate \\udc00-\\udfff) \(at \$.*, byte \d+\)$/s,
          );
        }),
        { numRuns: parserRuns(300) },
      );
      // As a top-level field name too.
      fc.assert(
        fc.property(withLone, seed, (name, s) => {
          expect(refused(spell(new Obj([[name, 1]]), new Choices(s)))).toMatch(/is a lone (low|high) surrogate/);
        }),
        { numRuns: parserRuns(100) },
      );
    },
    timeout,
  );

  it(
    'bytes that are not UTF-8, wherever they are, with their offset',
    () => {
      fc.assert(
        fc.property(badUtf8Body, ({ bytes }) => {
          const message = refused(bytes);
          expect(message).toMatch(/^the body is not valid UTF-8: .*(offset \d+|surrogate).*; JSON text must be UTF-8$/s);
        }),
        { numRuns: parserRuns(300) },
      );
      expect(refused(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('{"a":1}')]))).toBe(
        'the body starts with a byte order mark (EF BB BF); send UTF-8 JSON without one',
      );
    },
    timeout,
  );

  it(
    'a control character in a top-level field name, escaped or not; nested names may hold them',
    () => {
      const control = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }));
      // Cut by code points, so that no surrogate pair is split.
      const around = fieldNameArb.map((n) => [...n].slice(0, 8).join(''));
      fc.assert(
        fc.property(fc.option(around, { nil: '' }), control, fc.option(around, { nil: '' }), seed, (a, unit, b, s) => {
          const name = `${a}${String.fromCharCode(unit)}${b}`;
          const code = `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;
          expect(refused(spell(new Obj([[name, 1]]), new Choices(s)))).toContain(
            `contains the control character ${code}; field names may not contain U+0000–U+001F or U+007F–U+009F (at $, byte `,
          );
          // RFC 8259 §7: below U+0020 a character must be escaped in any string.
          if (unit < 0x20) {
            expect(refused(`{"a":"v${String.fromCharCode(unit)}"}`)).toContain(`the control character ${code} must be escaped in a string`);
          }
          // spec/formats.md §3.2: names of nested members have no rule beyond uniqueness.
          const nested = new Obj([['x', new Obj([[name, 1]])]]);
          expect(fieldsOf(parseRecord(utf8(spell(nested, new Choices(s)))))).toEqual(expectedFields(nested));
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'numbers that RFC 8259 or I-JSON refuse, wherever they are, with the path and the byte offset',
    () => {
      type Bad = { readonly literal: string; readonly message: RegExp; readonly shift?: number };
      const big = fc.oneof(fc.bigInt({ min: 2n ** 53n, max: 2n ** 80n }), fc.constantFrom(2n ** 53n, 10n ** 400n));
      const digits = fc.stringMatching(/^[1-9][0-9]{0,20}$/);
      const bad: fc.Arbitrary<Bad> = fc.oneof(
        fc.tuple(big, fc.boolean()).map(([n, minus]) => ({ literal: `${minus ? '-' : ''}${n}`, message: /^the integer -?\d+…? is beyond ±\(2\^53−1\) = ±9007199254740991; send larger integers as strings/ })),
        fc
          .tuple(fc.bigInt({ min: 2n ** 53n, max: 10n ** 20n }), fc.constantFrom('.0', '.00', 'e0', '.5'))
          .map(([n, tail]) => ({ literal: `${n}${tail}`, message: /^the number \S+ is the integer \d+, beyond ±\(2\^53−1\)/ })),
        fc.tuple(fc.integer({ min: 16, max: 20 }), fc.integer({ min: 1, max: 9 })).map(([e, d]) => ({ literal: `${d}e${e}`, message: /is the integer \d+, beyond/ })),
        fc.tuple(digits, fc.integer({ min: 309, max: 100_000 })).map(([d, e]) => ({ literal: `${d}e${e}`, message: /is beyond the IEEE 754 double range/ })),
        fc.tuple(digits, fc.integer({ min: 400, max: 100_000 })).map(([d, e]) => ({ literal: `-${d}.5e-${e}`, message: /is too small for an IEEE 754 double and would become 0/ })),
        fc.tuple(fc.constantFrom('0', '-0', '00', '-00'), digits).map(([z, d]) => ({ literal: `${z}${d}`, message: /^a number may not have leading zeros/ })),
        digits.map((d) => ({ literal: `+${d}`, message: /^a number may not start with '\+'/ })),
        digits.map((d) => ({ literal: `.${d}`, message: /^a number needs a digit before the decimal point/ })),
        fc.constantFrom('1.', '-1.e5', '0.E1').map((l) => ({ literal: l, message: /^a digit must follow the decimal point/ })),
        fc.constantFrom('1e', '1E+', '0e-', '-2.5e').map((l) => ({ literal: l, message: /^a digit must follow the exponent marker/ })),
        fc.constantFrom('-', '-Infinity', '-a', '- 1').map((l) => ({ literal: l, message: /^'-' must be followed by a digit/ })),
        fc.constantFrom('NaN', 'Infinity').map((l) => ({ literal: l, message: /^NaN and Infinity are not JSON numbers/ })),
        fc.constantFrom('0x10', '0b1', '0o7').map((l) => ({ literal: l, message: /^unexpected character "[xbo]"; expected ',' or/, shift: 1 })),
      );
      fc.assert(
        fc.property(placeArb(4), bad, seed, (place, { literal, message, shift }, s) => {
          const body = spell(plug(place, HOLE), new Choices(s), literal);
          // Where the literal is: the same seed spells the same text around a marker that the
          // writer never produces (a raw control character).
          const marked = spell(plug(place, HOLE), new Choices(s), '\u0001');
          const offset = Buffer.byteLength(marked.slice(0, marked.indexOf('\u0001'))) + (shift ?? 0);
          const text = refused(body);
          expect(text).toMatch(message);
          expect(text).toMatch(new RegExp(`, byte ${offset}\\)$`));
          if (shift === undefined && namesOf(place).every((n) => n.length <= 64)) {
            expect(text.endsWith(`(at ${pathOf(place)}, byte ${offset})`)).toBe(true);
          }
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'characters that look like white space but are not JSON white space',
    () => {
      const fake = fc.constantFrom('\u00a0', '\u2028', '\u2029', '\ufeff', '\u000b', '\u000c', '\u0085', '\u3000', '\u200b');
      fc.assert(
        fc.property(recordArb(3, 2), fake, fc.integer({ min: 0, max: 5 }), seed, (record, char, where, s) => {
          const c = new Choices(s);
          const [name, value] = record.members[0]!;
          const parts = ['{', spellString(name, c), ':', spell(value, c), '}'];
          parts.splice(where, 0, char);
          expect(refused(parts.join(''))).toMatch(
            /^(unexpected character .*; (expected |nothing may follow)|a record must be a JSON object; got character |the body starts with a byte order mark)/s,
          );
        }),
        { numRuns: parserRuns(200) },
      );
    },
    timeout,
  );
});

describe('regressions', () => {
  it('a long member name on the path is shortened in the message, as a long field name is', () => {
    // Found by the bounded-message property: the path echoed every name on the way in full, so a
    // 100 KB name nested twice made a 200 KB error message.
    const name = 'a'.repeat(100_000);
    const message = refused(`{"x":{"${name}":{"${name}":[1,01]}}}`);
    expect(message.length).toBeLessThan(400);
    expect(message).toBe(`a number may not have leading zeros (at $.x["${'a'.repeat(64)}…"]["${'a'.repeat(64)}…"][1], byte 200016)`);
  });
});

// numberSpellings is the writer's own table: check that every spelling it offers denotes the value.
describe('the model writer itself', () => {
  it('spells numbers only in ways that denote the same double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        for (const s of numberSpellings(d)) expect(Object.is(Number(s), d) || (d === 0 && Number(s) === 0)).toBe(true);
      }),
      { numRuns: parserRuns(200, 2000) },
    );
  });

  it('produces text that JSON.parse reads as the model (so the model tests the parser, not itself)', () => {
    fc.assert(
      fc.property(recordArb(), seed, (record, s) => {
        // JSON.parse defines own properties, __proto__ included; integer-like names reorder, so compare sorted.
        const read = JSON.parse(spellBody(record, new Choices(s))) as Record<string, unknown>;
        expect(Object.getOwnPropertyNames(read).sort()).toEqual(record.members.map((m) => m[0]).sort());
      }),
      { numRuns: parserRuns(100, 2000) },
    );
  });
});
