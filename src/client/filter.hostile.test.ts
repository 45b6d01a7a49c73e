/**
 * Hostile record filters (spec/formats.md §18.1), as properties (issue #5):
 *
 * - any text gives a filter or a FilterError, nothing else; an accepted filter never throws on any
 *   record, never matches a property a record only inherits (`constructor`, `__proto__`,
 *   `toString`), and touches no prototype;
 * - filters generated from a model (terms spelled bare or quoted, keywords in any case, any white
 *   space) select exactly the records a reference evaluator written from the spec table selects;
 * - each kind of broken filter (parentheses, other operators, unknown escapes, an unclosed quote, a
 *   dangling AND/OR, a missing "=" or value, a bare keyword as a name, more than 4096 characters)
 *   is refused saying where and what is accepted.
 *
 * SEALTRAIL_LONG=1 runs at least 10,000 cases per property (src/testing/runs.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertPrototypesUntouched, HOSTILE_PIECES, outcome, refusal } from '../testing/hostile.js';
import { referenceNumber } from '../testing/json-model.js';
import { longTimeout, parserRuns } from '../testing/runs.js';
import { FilterError, MAX_FILTER_LENGTH, parseFilter } from './filter.js';

const timeout = longTimeout();
const ACCEPTED = 'a filter is field=value terms joined by AND or OR (AND binds tighter), e.g. result=block OR result=escalate';

type Term = readonly [name: string, value: string];
/** OR of ANDs, as the grammar reads it. */
type Expression = readonly (readonly Term[])[];

/** The spec's table: a string equals the value; a number, boolean or null by its canonical JSON text. */
function referenceMatches(record: Readonly<Record<string, unknown>>, [name, value]: Term): boolean {
  if (!Object.prototype.hasOwnProperty.call(record, name)) return false;
  const v = record[name];
  if (typeof v === 'string') return v === value;
  if (typeof v === 'number') return referenceNumber(v) === value;
  if (typeof v === 'boolean') return String(v) === value;
  if (v === null) return value === 'null';
  return false;
}
const referenceSelects = (expression: Expression, record: Readonly<Record<string, unknown>>): boolean =>
  expression.some((all) => all.every((term) => referenceMatches(record, term)));

// ---- spelling a model expression ----

/** JavaScript \s, which is what separates tokens (space, tab, newlines, NBSP, U+2028, U+FEFF...). */
const space = fc.constantFrom(' ', '  ', '\t', '\n', '\u00a0', '\u2028', '\ufeff', '\u3000');
const isKeyword = (word: string): boolean => /^(and|or)$/i.test(word);
/** A bare word (§18.1): no white space, '=', '"', '(' or ')'; names must not end in ! < >. */
const canBeBare = (word: string, isName: boolean): boolean =>
  word.length > 0 && !/[\s="()]/.test(word) && !isKeyword(word) && !(isName && /[!<>]$/.test(word));
const quote = (word: string): string => `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

const words = fc.oneof(
  fc.constantFrom('result', 'block', 'tokens', '812', 'true', 'null', 'and', 'OR', '__proto__', 'constructor', 'toString', '', ' ', 'a b', '"', '\\', '(', 'é', '\u{1f600}', '0.5', '-0', '1e+21'),
  fc.string({ unit: 'binary', maxLength: 6 }),
);

const expressionArb: fc.Arbitrary<Expression> = fc.array(fc.array(fc.tuple(words, words), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 });

/** One spelling of the expression; `choices` decides bare or quoted, keyword case and white space. */
function spellExpression(expression: Expression, choices: readonly number[]): string {
  let k = 0;
  const next = (): number => choices[k++ % choices.length]!;
  const gap = (required: boolean): string => (required || next() % 3 === 0 ? [' ', '  ', '\t', '\u00a0', '\u2028'][next() % 5]! : '');
  const word = (w: string, isName: boolean): string => (canBeBare(w, isName) && next() % 2 === 0 ? w : quote(w));
  const keyword = (kw: string): string => [kw, kw.toLowerCase(), kw[0] + kw.slice(1).toLowerCase()][next() % 3]!;
  return expression
    .map((all) => all.map(([n, v]) => `${word(n, true)}${gap(false)}=${gap(false)}${word(v, false)}`).join(`${gap(true)}${keyword('AND')}${gap(true)}`))
    .join(`${gap(true)}${keyword('OR')}${gap(true)}`);
}

/**
 * Records whose fields the expression names, holding every kind of value: often one term's own
 * value (as a string, or as the number, boolean or null it spells), so that records do match.
 */
const recordArb = (expression: Expression) => {
  const terms = expression.flat();
  const names = [...new Set(terms.map(([n]) => n)), '__proto__', 'constructor', 'other'];
  const asJson = ([n, v]: Term): [string, unknown] => {
    if (v === 'true' || v === 'false' || v === 'null') return [n, JSON.parse(v)];
    const number = Number(v);
    return v !== '' && Number.isFinite(number) ? [n, number] : [n, v];
  };
  const value = fc.oneof(fc.constantFrom(...terms.map(([, v]) => v)), fc.constantFrom(812, 0.5, -0, 1e21, true, false, null, {}, [], { result: 'block' }), fc.string({ maxLength: 3 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
  const entry = fc.oneof(fc.constantFrom(...terms), fc.constantFrom(...terms).map(asJson), fc.tuple(fc.constantFrom(...names), value));
  // Object.fromEntries defines own properties: a field named __proto__ is a field, as the log reads it.
  return fc.array(entry, { maxLength: 6 }).map((entries) => Object.fromEntries(entries) as Record<string, unknown>);
};

// ---- hostile text ----

const filterSoup = fc
  .array(fc.oneof(words, space, fc.constantFrom('=', '"', '\\', '\\"', '(', ')', '!=', '<', '>=', 'AND', 'or', ' AND ', ' OR '), fc.constantFrom(...HOSTILE_PIECES)), { maxLength: 12 })
  .map((p) => p.join(''));

const hostileRecords: readonly Record<string, unknown>[] = [
  {},
  Object.create(null) as Record<string, unknown>,
  JSON.parse('{"__proto__": "x", "constructor": "y", "toString": 1}') as Record<string, unknown>,
  { result: 'block', tokens: 812, flagged: true, note: null, nested: { result: 'block' }, list: ['block'] },
];

describe('parseFilter on any text', () => {
  it(
    'gives a filter or a FilterError; a filter never throws, never sees inherited properties, touches no prototype',
    () => {
      fc.assert(
        fc.property(fc.oneof(filterSoup, fc.string({ unit: 'binary', maxLength: 40 })), (text) => {
          const result = outcome(() => parseFilter(text), FilterError);
          if (!result.ok) {
            expect(result.error.message.length).toBeGreaterThan(10);
            return;
          }
          const filter = result.value;
          // A record with no own field matches nothing, whatever its prototype holds.
          expect(filter({})).toBe(false);
          expect(filter(Object.create(null) as Record<string, unknown>)).toBe(false);
          for (const record of hostileRecords) expect(typeof filter(record)).toBe('boolean');
          assertPrototypesUntouched();
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );
});

describe('filters generated from a model', () => {
  it(
    'select exactly the records the reference evaluator selects, however they are spelled',
    () => {
      let hits = 0;
      let total = 0;
      fc.assert(
        fc.property(
          expressionArb.chain((e) => fc.tuple(fc.constant(e), fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), fc.array(recordArb(e), { minLength: 1, maxLength: 6 }))),
          ([expression, choices, records]) => {
            const filter = parseFilter(spellExpression(expression, choices));
            for (const record of records) expect(filter(record)).toBe(referenceSelects(expression, record));
            hits += records.filter((r) => referenceSelects(expression, r)).length;
            total += records.length;

          },
        ),
        { numRuns: parserRuns(300) },
      );
      // A test that cannot fail is a defect: make sure the records do get selected, often.
      expect(hits / total).toBeGreaterThan(0.2);
    },
    timeout,
  );
});

describe('broken filters: refused, saying where and what is accepted', () => {
  const refused = (text: string): string => refusal(() => parseFilter(text), FilterError).message;
  const valid = expressionArb.chain((e) => fc.array(fc.nat(), { minLength: 1, maxLength: 20 }).map((c) => spellExpression(e, c)));

  it(
    'parentheses, other comparisons, unknown escapes, an unclosed quote',
    () => {
      fc.assert(
        fc.property(valid, fc.integer({ min: 0, max: 4 }), (filter, kind) => {
          const [text, message] = (
            [
              [`(${filter})`, /^parentheses are not supported at character 1 of .*: AND binds tighter than OR/s],
              [`${filter} OR a!=b`, /^only "=" is accepted as a comparison at character \d+ of .*; a filter is field=value terms/s],
              [`${filter} OR a<=b`, /^only "=" is accepted as a comparison at character \d+/s],
              [`${filter} OR "a\\n"=b`, /^unknown escape at character \d+ of .*: inside double quotes only \\" and \\\\ are escapes$/s],
              [`${filter} OR "a=b`, /^the quoted text that starts at character \d+ of .* has no closing double quote$/s],
            ] as const
          )[kind]!;
          expect(refused(text)).toMatch(message);
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'a dangling keyword, a missing "=" or value, a bare keyword as a field name',
    () => {
      fc.assert(
        fc.property(valid, fc.constantFrom('AND', 'or', 'And', 'OR'), fc.integer({ min: 0, max: 3 }), (filter, keyword, kind) => {
          const [text, message] = (
            [
              [`${filter} ${keyword}`, new RegExp(`^the filter ends after ${keyword.toUpperCase()}; a field=value term must follow it$`)],
              [`${filter} OR field`, /^expected "=" after the field name "field", found the end of the filter; a filter is/],
              [`${filter} OR field=`, /^expected a value after "field"=, found the end of the filter; write "" for the empty string$/],
              [`${keyword}=x OR ${filter}`, new RegExp(`^expected a field=value term at character 1 of .*, found ${keyword}; .* \\(quote a field named ${keyword}: "${keyword}"=...\\)$`, 's')],
            ] as const
          )[kind]!;
          expect(refused(text)).toMatch(message);
        }),
        { numRuns: parserRuns(300) },
      );
      expect(refused('')).toBe(`the filter is empty; ${ACCEPTED}`);
      expect(refused(' \t\u00a0')).toBe(`the filter is empty; ${ACCEPTED}`);
      expect(refused('a=b c=d')).toMatch(/^expected AND or OR at character 5 of "a=b c=d", found c; /);
    },
    timeout,
  );

  it(`length: ${MAX_FILTER_LENGTH} characters are accepted, one more is refused naming the limit`, () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_FILTER_LENGTH - 3, max: MAX_FILTER_LENGTH + 3 }), (length) => {
        const text = `a=${'b'.repeat(length - 2)}`;
        const result = outcome(() => parseFilter(text), FilterError);
        if (length <= MAX_FILTER_LENGTH) expect(result.ok).toBe(true);
        else expect(!result.ok && result.error.message).toBe(`the filter is ${length} characters long; at most ${MAX_FILTER_LENGTH} are accepted`);
      }),
      { numRuns: parserRuns(20, 200) },
    );
  });
});
