/**
 * @module
 * RFC 8785 JSON Canonicalization Scheme (JCS) for values held in memory, such as the records the
 * log writes itself (PROTOCOL §6 erasure records). Submitted records never pass through here: the
 * parser in json.ts builds their canonical text while it reads them.
 *
 * The same I-JSON rules apply as to submitted records, so that whatever this module produces the
 * parser accepts again unchanged.
 */
import { LogError } from '../util/errors.js';
import type { RecordField } from './json.js';
import { fieldNameProblem, isWellFormed, MAX_SAFE_INTEGER, quoteForMessage } from './text.js';

/** A JSON value as JavaScript holds it. Objects are plain objects; keys are own enumerable ones. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [name: string]: JsonValue };

/** Guards against cycles; far deeper than any record the log writes. */
const MAX_CANONICAL_DEPTH = 1000;

/**
 * RFC 8785 §3.2.2.2: a string is serialised as ECMAScript JSON.stringify does it (`"` and `\`
 * escaped, \b \t \n \f \r as two characters, other C0 controls as \u00xx in lowercase hex,
 * everything else as is). For a well-formed string JSON.stringify is exactly that.
 */
export function quoteString(text: string): string {
  return JSON.stringify(text);
}

/**
 * RFC 8785 §3.2.2.3: a number is serialised as ECMAScript Number::toString does it; -0 becomes 0.
 * Refuses what I-JSON refuses (RFC 7493 §2.2): NaN and ±Infinity, and any number whose canonical
 * text is an integer beyond ±(2^53 − 1) (the parser would refuse that text).
 */
export function numberText(value: number): string {
  if (!Number.isFinite(value)) {
    throw new LogError('malformed', `${value} is not a JSON number; I-JSON numbers are finite`);
  }
  const text = String(value); // String(-0) is "0"
  if (isUnsafeIntegerText(value)) {
    throw new LogError(
      'malformed',
      `the integer ${text} is beyond ±(2^53−1) = ±${MAX_SAFE_INTEGER}; send larger integers as strings`,
    );
  }
  return text;
}

/**
 * True when `value` is canonically written as a plain integer (no exponent) beyond ±(2^53 − 1).
 * ECMAScript switches to exponent form at 1e21, so that is where such integers end.
 */
export function isUnsafeIntegerText(value: number): boolean {
  const magnitude = Math.abs(value);
  return magnitude > MAX_SAFE_INTEGER && magnitude < 1e21;
}

/**
 * The RFC 8785 canonical text of `value`: object members sorted by the UTF-16 code units of their
 * names (§3.2.3), no whitespace, strings and numbers as above.
 *
 * Throws LogError 'malformed' for what JSON can carry but I-JSON forbids (lone surrogates,
 * non-finite numbers, unsafe integers), since such values may come from a client; TypeError for
 * what is not a JSON value at all (undefined, functions, bigint, class instances, sparse arrays).
 */
export function canonicalize(value: JsonValue): string {
  return canonical(value, 0);
}

function canonical(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) {
        throw new LogError('malformed', 'a string contains a lone surrogate; I-JSON strings are valid Unicode');
      }
      return quoteString(value);
    case 'number':
      return numberText(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_CANONICAL_DEPTH) {
        throw new RangeError(`value is nested deeper than ${MAX_CANONICAL_DEPTH} levels (a cycle?)`);
      }
      if (Array.isArray(value)) return canonicalArray(value, depth + 1);
      return canonicalObject(value, depth + 1);
    default:
      throw new TypeError(`${typeof value} is not a JSON value`);
  }
}

function canonicalArray(items: readonly unknown[], depth: number): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ',';
    if (!(i in items)) throw new TypeError(`array has a hole at index ${i}; JSON arrays have none`);
    out += canonical(items[i], depth);
  }
  return out + ']';
}

function canonicalObject(object: object, depth: number): string {
  const proto: unknown = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError('only plain objects are JSON objects');
  }
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units (RFC 8785 §3.2.3).
  const names = Object.keys(object).sort();
  let out = '{';
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (i > 0) out += ',';
    out += canonical(name, depth) + ':' + canonical((object as Record<string, unknown>)[name], depth);
  }
  return out + '}';
}

/**
 * The fields of a record the log builds itself, in the object's key order, each with its canonical
 * value. Names obey the same rule as submitted field names (PROTOCOL §2).
 */
export function recordFieldsOf(record: { readonly [name: string]: JsonValue }): RecordField[] {
  const fields: RecordField[] = [];
  for (const name of Object.keys(record)) {
    const problem = fieldNameProblem(name);
    if (problem !== undefined) {
      throw new LogError('malformed', `field name ${quoteForMessage(name)} ${problem}`);
    }
    fields.push({ name, jcs: canonical(record[name], 0) });
  }
  if (fields.length === 0) throw new LogError('malformed', 'a record needs at least 1 field');
  return fields;
}

/**
 * The value of the top-level field `name` when it is a JSON string (such as `event_id`, the
 * idempotency key of PROTOCOL §5); undefined when the field is absent or holds another type.
 */
export function stringField(fields: readonly RecordField[], name: string): string | undefined {
  for (const field of fields) {
    if (field.name !== name) continue;
    if (field.jcs.charCodeAt(0) !== 0x22) return undefined;
    // Canonical text of a string: JSON.parse reads it back exactly.
    return JSON.parse(field.jcs) as string;
  }
  return undefined;
}
