/**
 * Hostile erasure requests (`POST /v1/records/<index>/erase`, PROTOCOL §6; spec/formats.md §16.4),
 * as properties over the body parser (issue #5):
 *
 * - any bytes give a request or a LogError, nothing else, and touch no prototype;
 * - requests generated from a model (any field names, any reason, members in any order and
 *   spelling) are read back;
 * - each broken request is refused saying what was sent and what is accepted: unknown members
 *   (`__proto__` included), `fields` that is not 1 to 256 distinct names or names tenant_id,
 *   `reason` that is not 1 to 1024 characters; at each limit accepted, one past it refused.
 *
 * SEALTRAIL_LONG=1 runs at least 10,000 cases per property (src/testing/runs.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogError } from '../util/errors.js';
import { assertPrototypesUntouched, outcome, refusal } from '../testing/hostile.js';
import { Choices, type Json, Obj, spellBody, textArb, valueArb } from '../testing/json-model.js';
import { longTimeout, parserRuns } from '../testing/runs.js';
import { parseErasure } from './erase.js';

const timeout = longTimeout();
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const ACCEPTED = 'an erasure request is {"fields": [1 to 256 distinct field names], "reason": "1 to 1024 characters"}';
const seed = fc.integer();

/** The body of `members`, spelled by `s`. */
const body = (members: readonly (readonly [string, Json])[], s: number): Uint8Array => utf8(spellBody(new Obj(members), new Choices(s)));

const refused = (bytes: Uint8Array): string => {
  const error = refusal(() => parseErasure(bytes), LogError) as LogError;
  expect(error.code).toBe('malformed');
  return error.message;
};

const namesArb = fc.uniqueArray(textArb.filter((n) => n !== 'tenant_id'), { minLength: 1, maxLength: 8 });
const reasonArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });

describe('parseErasure', () => {
  it(
    'gives a request or a LogError for any bytes, and touches no prototype',
    () => {
      const near = fc
        .tuple(fc.array(fc.tuple(fc.constantFrom('fields', 'reason', '__proto__', 'constructor', 'field', 'Reason'), valueArb(2, 4)), { minLength: 1, maxLength: 4 }), seed)
        .map(([members, s]) => body(members.filter((m, i) => members.findIndex((o) => o[0] === m[0]) === i), s));
      fc.assert(
        fc.property(fc.oneof(near, fc.uint8Array({ maxLength: 80 })), (bytes) => {
          const result = outcome(() => parseErasure(bytes), LogError);
          if (result.ok) {
            expect(result.value.fields.length).toBeGreaterThan(0);
            expect(result.value.fields).not.toContain('tenant_id');
          }
          assertPrototypesUntouched();
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'reads back every request generated from the model, members in either order',
    () => {
      fc.assert(
        fc.property(namesArb, reasonArb, fc.boolean(), seed, (fields, reason, reversed, s) => {
          const members: [string, Json][] = [['fields', fields], ['reason', reason]];
          if (reversed) members.reverse();
          expect(parseErasure(body(members, s))).toEqual({ fields, reason });
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'refuses unknown members, prototype names included, naming the member',
    () => {
      fc.assert(
        fc.property(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'field', 'Fields', 'target_index'), textArb.filter((n) => n.length > 0 && n !== 'fields' && n !== 'reason' && !/[\u0000-\u001f\u007f-\u009f]/.test(n) && Buffer.byteLength(n) <= 256)), namesArb, reasonArb, seed, (extra, fields, reason, s) => {
          expect(refused(body([['fields', fields], [extra, 1], ['reason', reason]], s))).toBe(`unknown member ${JSON.stringify(extra)}; ${ACCEPTED}`);
        }),
        { numRuns: parserRuns(300) },
      );
      assertPrototypesUntouched();
    },
    timeout,
  );

  it(
    'refuses fields that are not 1 to 256 distinct names, saying what was sent; 256 are accepted',
    () => {
      const badFields = fc.oneof(
        fc.constantFrom<[Json, string]>([null, 'null'], [7, 'a number'], ['a', 'a string'], [true, 'a boolean'], [new Obj([['a', 1]]), 'an object'], [[], 'an empty array'], [['a', 1], 'an array holding something other than strings'], [[['a']], 'an array holding something other than strings']),
        fc.integer({ min: 257, max: 300 }).map((n): [Json, string] => [Array.from({ length: n }, (_, i) => `f${i}`), `${n} names`]),
      );
      fc.assert(
        fc.property(badFields, reasonArb, seed, ([fields, got], reason, s) => {
          expect(refused(body([['fields', fields], ['reason', reason]], s))).toBe(`"fields" must be an array of field names, got ${got}; ${ACCEPTED}`);
        }),
        { numRuns: parserRuns(300) },
      );
      fc.assert(
        fc.property(namesArb, fc.nat(), reasonArb, seed, (fields, at, reason, s) => {
          const twice = [...fields];
          twice.splice(at % (twice.length + 1), 0, fields[at % fields.length]!);
          expect(refused(body([['fields', twice], ['reason', reason]], s))).toBe(`"fields" names a field twice; ${ACCEPTED}`);
          const withTenant = [...fields];
          withTenant.splice(at % (withTenant.length + 1), 0, 'tenant_id');
          expect(refused(body([['fields', withTenant], ['reason', reason]], s))).toBe(
            'tenant_id cannot be erased: it decides which auditors may read the record; erase the personal data fields',
          );
        }),
        { numRuns: parserRuns(300) },
      );
      const all = Array.from({ length: 256 }, (_, i) => `f${i}`);
      expect(parseErasure(body([['fields', all], ['reason', 'r']], 1)).fields).toHaveLength(256);
      expect(refused(body([['reason', 'r']], 1))).toBe(`"fields" must be an array of field names, got nothing (the member is missing); ${ACCEPTED}`);
    },
    timeout,
  );

  it(
    'refuses a reason that is not 1 to 1024 characters, saying what was sent; 1024 are accepted',
    () => {
      fc.assert(
        fc.property(fc.oneof(fc.integer({ min: 1020, max: 1030 }), fc.integer({ min: 0, max: 3000 })), namesArb, seed, (length, fields, s) => {
          const reason = 'r'.repeat(length);
          const bytes = body([['fields', fields], ['reason', reason]], s);
          if (length >= 1 && length <= 1024) expect(parseErasure(bytes).reason).toBe(reason);
          else expect(refused(bytes)).toBe(`"reason" must be a non-empty string, got ${length === 0 ? 'an empty string' : `${length} characters`}; ${ACCEPTED}`);
        }),
        { numRuns: parserRuns(200, 2000) },
      );
      expect(refused(body([['fields', ['a']], ['reason', 5]], 1))).toBe(`"reason" must be a non-empty string, got a number; ${ACCEPTED}`);
      expect(refused(body([['fields', ['a']]], 1))).toBe(`"reason" must be a non-empty string, got nothing (the member is missing); ${ACCEPTED}`);
    },
    timeout,
  );
});
