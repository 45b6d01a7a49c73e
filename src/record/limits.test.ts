/**
 * The record limits of spec/formats.md §3.2, as properties (issue #5): each at its boundary and one
 * past it, refused with a message that names the limit. Nesting 32 levels (the record is level 1),
 * 256 top-level fields, 256 bytes of UTF-8 per field name, the record's bytes (the whole add-entry
 * body, or one record's span in a batch), 1000 records per batch.
 *
 * SEALTRAIL_LONG=1 runs more cases (src/testing/runs.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogError } from '../util/errors.js';
import { outcome, refusal } from '../testing/hostile.js';
import { Choices, type Json, Obj, recordArb, referenceJcs, spell, spellBody } from '../testing/json-model.js';
import { longTimeout, parserRuns } from '../testing/runs.js';
import { DEFAULT_RECORD_LIMITS, parseRecord, parseRecordBatch, type RecordField, type RecordLimits } from './json.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const seed = fc.integer();
const timeout = longTimeout();

const parsed = (body: string, limits?: Partial<RecordLimits>) => outcome(() => parseRecord(utf8(body), limits), LogError);

function refused(body: string, code: 'malformed' | 'tooLarge' = 'malformed'): string {
  const error = refusal(() => parseRecord(utf8(body)), LogError);
  expect((error as LogError).code).toBe(code);
  return error.message;
}

const fieldsOf = (fields: readonly RecordField[]): [string, string][] => fields.map((f) => [f.name, f.jcs]);
const expectedFields = (record: Obj): [string, string][] => record.members.map(([name, value]) => [name, referenceJcs(value)]);

describe('limits, at the boundary and one past it (spec/formats.md §3.2)', () => {
  /** `levels` containers, objects or arrays as `kinds` says, around a number. */
  const nest = (levels: number, kinds: readonly boolean[]): Json => {
    let value: Json = 1;
    for (let i = 0; i < levels; i++) value = kinds[i % kinds.length] ? new Obj([[`k${i}`, value]]) : [value];
    return value;
  };

  it(
    'nesting: 32 levels (the record is level 1) are accepted, 33 are refused naming the limit',
    () => {
      fc.assert(
        fc.property(fc.oneof(fc.integer({ min: 28, max: 36 }), fc.integer({ min: 0, max: 60 })), fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.boolean(), seed, (levels, kinds, inBatch, s) => {
          const record = new Obj([['deep', nest(levels, kinds)]]);
          const body = spell(record, new Choices(s));
          const depth = levels + 1;
          const result = outcome(() => (inBatch ? parseRecordBatch(utf8(`[${body}]`))[0]! : parseRecord(utf8(body))), LogError);
          if (depth <= DEFAULT_RECORD_LIMITS.maxDepth) {
            expect(result.ok && fieldsOf(result.value)).toEqual(expectedFields(record));
          } else {
            expect(result.ok).toBe(false);
            expect(!result.ok && result.error.message).toMatch(
              /^(record 0: )?objects and arrays are nested more than 32 deep; at most 32 levels are accepted \(at \$\.deep/,
            );
          }
        }),
        { numRuns: parserRuns(200) },
      );
      // The boundary itself, spelled out.
      expect(parseRecord(utf8(`{"a":${'['.repeat(31)}${']'.repeat(31)}}`))).toHaveLength(1);
      expect(refused(`{"a":${'['.repeat(32)}${']'.repeat(32)}}`)).toMatch(/^objects and arrays are nested more than 32 deep; at most 32 levels are accepted/);
      // Nothing is built deeper than the limit, so no input can exhaust the stack.
      expect(refused(`{"a":${'['.repeat(1_000_000)}`)).toMatch(/nested more than 32 deep/);
      expect(refused(`{"a":${'{"a":'.repeat(200_000)}1`)).toMatch(/nested more than 32 deep/);
    },
    timeout,
  );

  it(
    'top-level fields: 256 are accepted, 257 are refused naming the limit',
    () => {
      fc.assert(
        fc.property(fc.oneof(fc.integer({ min: 250, max: 262 }), fc.integer({ min: 1, max: 400 })), fc.constantFrom('f', '__proto__', 'é', '\u{1f600}'), seed, (count, stem, s) => {
          const record = new Obj(Array.from({ length: count }, (_, i) => [`${stem}${i}`, i] as const));
          const body = spell(record, new Choices(s));
          const result = parsed(body);
          if (count <= 256) {
            expect(result.ok && result.value.length).toBe(count);
          } else {
            expect(!result.ok && result.error.message).toMatch(/^a record has at most 256 top-level fields \(at \$, byte \d+\)$/);
          }
        }),
        { numRuns: parserRuns(100, 2000) },
      );
      const fields = (n: number): string => `{${Array.from({ length: n }, (_, i) => `"f${i}":${i}`).join(',')}}`;
      expect(parseRecord(utf8(fields(256)))).toHaveLength(256);
      expect(refused(fields(257))).toBe(`a record has at most 256 top-level fields (at $, byte ${fields(256).length})`);
    },
    timeout,
  );

  it(
    'field name length: 256 bytes of UTF-8 are accepted, 257 and more are refused with the count',
    () => {
      const unit = fc.constantFrom('a', 'é', '€', '\u{1f600}', '_');
      fc.assert(
        fc.property(fc.array(unit, { minLength: 1, maxLength: 120 }), seed, (units, s) => {
          const name = units.join('');
          const bytes = Buffer.byteLength(name);
          const body = spell(new Obj([[name, true]]), new Choices(s));
          if (bytes <= 256) expect(fieldsOf(parseRecord(utf8(body)))).toEqual([[name, 'true']]);
          else expect(refused(body)).toContain(`is ${bytes} bytes of UTF-8; at most 256 are accepted`);
        }),
        { numRuns: parserRuns(300) },
      );
      expect(refused('{"":1}')).toContain('field name "" is empty; field names are 1 to 256 bytes of UTF-8');
    },
    timeout,
  );

  it(
    'record size: up to the limit accepted, one byte over refused with tooLarge naming both sizes',
    () => {
      fc.assert(
        fc.property(fc.integer({ min: 10, max: 400 }), fc.integer({ min: 0, max: 420 }), fc.constantFrom('a', 'é', '€'), fc.boolean(), (limit, size, pad, inBatch) => {
          // {"p":"…"} with the string sized to reach `size` bytes where the character allows.
          const room = Math.max(0, size - 8);
          const padding = pad.repeat(Math.floor(room / Buffer.byteLength(pad)));
          const record = `{"p":"${padding}"}`;
          const bytes = Buffer.byteLength(record);
          const limits = { maxRecordBytes: limit };
          const result = outcome(() => (inBatch ? parseRecordBatch(utf8(`[ ${record} ]`), limits) : parseRecord(utf8(record), limits)), LogError);
          if (bytes <= limit) {
            expect(result.ok).toBe(true);
          } else {
            expect(!result.ok && (result.error as LogError).code).toBe('tooLarge');
            expect(!result.ok && result.error.message).toBe(`${inBatch ? 'record 0: ' : ''}the record is ${bytes} bytes; at most ${limit} are accepted`);
          }
        }),
        { numRuns: parserRuns(300) },
      );
      // The default, 1 MiB, exactly: the body counts whitespace too (spec/formats.md §3.2).
      const limit = DEFAULT_RECORD_LIMITS.maxRecordBytes;
      const exact = `{"p":"${'x'.repeat(limit - 8)}"}`;
      expect(utf8(exact).length).toBe(limit);
      expect(parseRecord(utf8(exact))).toHaveLength(1);
      expect(refused(`${exact} `, 'tooLarge')).toBe(`the record is ${limit + 1} bytes; at most ${limit} are accepted`);
    },
    timeout,
  );

  it(
    'batch: 1 to 1000 records accepted, 1001 refused naming the limit; a bad record is named by its index',
    () => {
      fc.assert(
        fc.property(fc.oneof(fc.integer({ min: 998, max: 1003 }), fc.integer({ min: 1, max: 1100 })), (count) => {
          const body = utf8(`[${Array.from({ length: count }, (_, i) => `{"i":${i}}`).join(',')}]`);
          const result = outcome(() => parseRecordBatch(body), LogError);
          if (count <= 1000) expect(result.ok && result.value.length).toBe(count);
          else expect(!result.ok && result.error.message).toBe('record 1000: a batch holds at most 1000 records');
        }),
        { numRuns: parserRuns(40, 1000) },
      );
      const badRecord = fc.constantFrom('{"a":1,"a":2}', '{"n":01}', '{}', '[1]', '"x"', `{"d":${'['.repeat(40)}`, '{"\\u0000":1}', '{"s":"\\udc00"}');
      fc.assert(
        fc.property(fc.array(recordArb(2, 2), { minLength: 1, maxLength: 6 }), fc.nat(), badRecord, seed, (records, at, bad, s) => {
          const c = new Choices(s);
          const parts = records.map((r) => spellBody(r, c));
          const index = at % (parts.length + 1);
          parts.splice(index, 0, bad);
          const message = refusal(() => parseRecordBatch(utf8(`[${parts.join(',')}]`)), LogError).message;
          expect(message.startsWith(`record ${index}: `)).toBe(true);
        }),
        { numRuns: parserRuns(300) },
      );
      expect(refusal(() => parseRecordBatch(utf8('[]')), LogError).message).toBe('a batch must hold 1 to 1000 records; got an empty array');
    },
    timeout,
  );
});
