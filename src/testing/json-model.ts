/**
 * @module
 * A model of JSON records for the hostile-input property tests: fast-check generators of values
 * (prototype keys, controls, astral characters and every number form included), a writer that
 * spells one value in many valid ways (white space, escapes, number spellings), and a reference
 * RFC 8785 canonicalisation written from the RFC, not from src/record, to compare the parser with.
 *
 * Objects are lists of members, never JavaScript objects, so that a name such as `__proto__` is
 * data here too. Test-only (the build leaves `testing/` out).
 */
import fc from 'fast-check';
import { HOSTILE_PIECES } from './hostile.js';

/** A JSON object as its members in submission order (names unique unless a test says otherwise). */
export class Obj {
  constructor(readonly members: readonly (readonly [string, Json])[]) {}
}

export type Json = null | boolean | number | string | readonly Json[] | Obj;

/** Stands for a literal that a test splices in where a value goes (see {@link spell}). */
export const HOLE: unique symbol = Symbol('hole');
export type JsonWithHole = Json | typeof HOLE | readonly JsonWithHole[] | ObjWithHole;
export class ObjWithHole {
  constructor(readonly members: readonly (readonly [string, JsonWithHole])[]) {}
}

// ---- RFC 8785, written from the RFC ----

const SHORT_ESCAPES: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

/**
 * RFC 8785 §3.2.2.2: `"` and `\` escaped, the five controls with a two-character form written so,
 * the other controls below U+0020 as \u00xx in lower case, every other character as itself.
 */
export function referenceString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const short = SHORT_ESCAPES[unit];
    if (short !== undefined) out += short;
    else if (unit < 0x20) out += `\\u${unit.toString(16).padStart(4, '0')}`;
    else out += text[i];
  }
  return `${out}"`;
}

/** RFC 8785 §3.2.3: names compared as arrays of UTF-16 code units. */
export function compareUtf16(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** RFC 8785 §3.2.2.3 defers to ECMAScript Number::toString, which writes -0 as "0". */
export function referenceNumber(value: number): string {
  return Object.is(value, -0) ? '0' : String(value);
}

/** The RFC 8785 canonical text of a model value. */
export function referenceJcs(value: Json): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return referenceNumber(value);
  if (typeof value === 'string') return referenceString(value);
  if (Array.isArray(value)) return `[${value.map(referenceJcs).join(',')}]`;
  const sorted = [...(value as Obj).members].sort((a, b) => compareUtf16(a[0], b[0]));
  return `{${sorted.map(([name, v]) => `${referenceString(name)}:${referenceJcs(v)}`).join(',')}}`;
}

// ---- generators ----

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Integral doubles that JCS would write as a plain integer beyond 2^53 − 1: I-JSON refuses them. */
export const isUnsafeInteger = (n: number): boolean => Number.isInteger(n) && Math.abs(n) > MAX_SAFE && Math.abs(n) < 1e21;

const pieces = fc.constantFrom(...HOSTILE_PIECES.filter((p) => !/\p{Cs}/u.test(p)));

/** Any well-formed text, hostile pieces often: member names and string values. */
export const textArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
  pieces,
  fc.array(fc.oneof(pieces, fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 4 }).map((p) => p.join('')),
);

/** PROTOCOL §2: a top-level name is 1 to 256 bytes of UTF-8 without U+0000–U+001F or U+007F–U+009F. */
export const isFieldName = (name: string): boolean =>
  name.length > 0 && Buffer.byteLength(name, 'utf8') <= 256 && !/[\u0000-\u001f\u007f-\u009f]/.test(name);

export const fieldNameArb: fc.Arbitrary<string> = textArb.filter(isFieldName);

/** Every kind of finite double I-JSON accepts, with the edges (±0, subnormals, the largest double, 1e21). */
export const numberArb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -MAX_SAFE, max: MAX_SAFE }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !isUnsafeInteger(d)),
  fc.constantFrom(-0, 0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308, 1e21, -1e21, MAX_SAFE, -MAX_SAFE, 0.1, 1e-7, 1e-6, 123e-20, 0.5),
);

const leafArb: fc.Arbitrary<Json> = fc.oneof(fc.constant(null), fc.boolean(), numberArb, textArb);

/** A JSON value at most `maxDepth` containers deep. */
export function valueArb(maxDepth = 4, maxLength = 4): fc.Arbitrary<Json> {
  const { value } = fc.letrec<{ value: Json; array: Json[]; object: Obj }>((tie) => ({
    value: fc.oneof({ maxDepth, depthIdentifier: 'json-model' }, leafArb, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength }),
    object: fc.uniqueArray(fc.tuple(textArb, tie('value')), { selector: (m) => m[0], maxLength }).map((m) => new Obj(m)),
  }));
  return value;
}

/** A valid record: 1 to `maxFields` uniquely named top-level fields. */
export function recordArb(maxFields = 6, maxDepth = 4): fc.Arbitrary<Obj> {
  return fc
    .uniqueArray(fc.tuple(fieldNameArb, valueArb(maxDepth)), { selector: (m) => m[0], minLength: 1, maxLength: maxFields })
    .map((m) => new Obj(m));
}

// ---- spelling ----

/** A small deterministic source of choices (an LCG), so that one seed gives one spelling. */
export class Choices {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A number in [0, 1). */
  next(): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    return this.state / 2 ** 32;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

const JSON_WS = [' ', '\t', '\n', '\r'];

/** RFC 8259 §2 white space, or nothing (most often). */
export function ws(c: Choices): string {
  if (c.next() < 0.7) return '';
  let out = '';
  for (let n = 1 + c.below(3); n > 0; n--) out += c.pick(JSON_WS);
  return out;
}

function hex4(unit: number, c: Choices): string {
  const digits = unit.toString(16).padStart(4, '0');
  return c.next() < 0.5 ? digits : digits.toUpperCase();
}

/**
 * A string literal for `text`: each character as itself or escaped (\uXXXX in either case, or the
 * two-character form), and always escaped where RFC 8259 §7 requires it. A lone surrogate, which
 * UTF-8 cannot carry, is always written as an escape.
 */
export function spellString(text: string, c: Choices): string {
  let out = '"';
  for (const char of text) {
    const unit = char.charCodeAt(0);
    const lone = char.length === 1 && unit >= 0xd800 && unit <= 0xdfff;
    const must = unit === 0x22 || unit === 0x5c || unit < 0x20 || lone;
    if (!must && c.next() >= 0.1) {
      out += char;
      continue;
    }
    const short = unit === 0x2f ? '\\/' : SHORT_ESCAPES[unit];
    if (short !== undefined && c.next() < 0.7) out += short;
    else for (let i = 0; i < char.length; i++) out += `\\u${hex4(char.charCodeAt(i), c)}`;
  }
  return `${out}"`;
}

/** The spellings of `value` that denote exactly this double (RFC 8259 §6 grammar). */
export function numberSpellings(value: number): string[] {
  if (Object.is(value, -0)) return ['-0', '-0.0', '-0e0', '-0E+5', '-0.000e-7'];
  // toExponential() and toPrecision(17) both identify a double uniquely.
  const spellings = [String(value), value.toExponential(), value.toPrecision(17)];
  if (Number.isInteger(value) && Math.abs(value) <= MAX_SAFE) {
    spellings.push(`${value}.0`, `${value}e0`, `${value}E-0`, `${value}.000E+0`);
    if (value !== 0) spellings.push(`${value}0e-1`);
  }
  return spellings.flatMap((s) => (s.includes('e') ? [s, s.replace('e', 'E')] : [s]));
}

/**
 * The JSON text of `value`, spelled by `c`: white space, escapes and number spellings vary, the
 * meaning does not. A HOLE is written as `hole` as it is (a test's broken literal).
 */
export function spell(value: JsonWithHole, c: Choices, hole = ''): string {
  if (value === HOLE) return hole;
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return c.pick(numberSpellings(value));
  if (typeof value === 'string') return spellString(value, c);
  if (Array.isArray(value)) {
    if (value.length === 0) return `[${ws(c)}]`;
    return `[${value.map((v: JsonWithHole) => `${ws(c)}${spell(v, c, hole)}${ws(c)}`).join(',')}]`;
  }
  const members = (value as Obj | ObjWithHole).members;
  if (members.length === 0) return `{${ws(c)}}`;
  return `{${members.map(([name, v]) => `${ws(c)}${spellString(name, c)}${ws(c)}:${ws(c)}${spell(v, c, hole)}${ws(c)}`).join(',')}}`;
}

/** A whole body: the value with white space around it. */
export function spellBody(value: JsonWithHole, c: Choices, hole = ''): string {
  return `${ws(c)}${spell(value, c, hole)}${ws(c)}`;
}

// ---- a place in a record, for splicing broken parts in ----

/** One container on the way from a top-level field down to a hole. */
export type Step =
  | { readonly kind: 'array'; readonly before: readonly Json[]; readonly after: readonly Json[] }
  | { readonly kind: 'object'; readonly members: readonly (readonly [string, Json])[]; readonly at: number };

/** A hole somewhere in a record: the top-level fields, which one leads to it, and the way down. */
export interface Place {
  readonly fields: readonly (readonly [string, Json])[];
  readonly at: number;
  readonly steps: readonly Step[];
}

/** A place `steps` containers below a top-level field (0..maxSteps), in a record of valid fields. */
export function placeArb(maxSteps = 4): fc.Arbitrary<Place> {
  const value = valueArb(2, 3);
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('array' as const), before: fc.array(value, { maxLength: 2 }), after: fc.array(value, { maxLength: 2 }) }),
    fc.record({
      kind: fc.constant('object' as const),
      members: fc.uniqueArray(fc.tuple(textArb, value), { selector: (m) => m[0], minLength: 1, maxLength: 3 }),
      at: fc.nat(),
    }),
  );
  return fc.record({
    fields: fc.uniqueArray(fc.tuple(fieldNameArb, value), { selector: (m) => m[0], minLength: 1, maxLength: 4 }),
    at: fc.nat(),
    steps: fc.array(step, { maxLength: maxSteps }),
  });
}

/** The record with `inner` in the place's hole. */
export function plug(place: Place, inner: JsonWithHole): ObjWithHole {
  let value = inner;
  for (let i = place.steps.length - 1; i >= 0; i--) {
    const step = place.steps[i]!;
    if (step.kind === 'array') value = [...step.before, value, ...step.after];
    else {
      const at = step.at % step.members.length;
      value = new ObjWithHole(step.members.map((m, j) => (j === at ? [m[0], value] : m)));
    }
  }
  const at = place.at % place.fields.length;
  return new ObjWithHole(place.fields.map((m, j) => (j === at ? [m[0], value] : m)));
}

/** The JSON path of the hole, as spec/formats.md §3.4 writes it (for names of up to 64 characters). */
export function pathOf(place: Place): string {
  const name = (n: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(n) ? `.${n}` : `[${JSON.stringify(n)}]`);
  let out = `$${name(place.fields[place.at % place.fields.length]![0])}`;
  for (const step of place.steps) out += step.kind === 'array' ? `[${step.before.length}]` : name(step.members[step.at % step.members.length]![0]);
  return out;
}

/** The names on the way to the hole. */
export function namesOf(place: Place): string[] {
  return [place.fields[place.at % place.fields.length]![0], ...place.steps.flatMap((s) => (s.kind === 'object' ? [s.members[s.at % s.members.length]![0]] : []))];
}
