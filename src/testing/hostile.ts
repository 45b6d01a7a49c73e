/**
 * @module
 * Helpers for the hostile-input property tests (issue #5): what a parser may throw, and a check that
 * no input reached a built-in prototype. Test-only, with no test-framework import (see runs.ts).
 */

/** A class a parser is allowed to throw for bad input (LogError, NoteError, TilePathError, ...). */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** What a parser did with one input. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

/**
 * Runs `parse` and returns what it returned or threw. Anything thrown that is not an instance of
 * `allowed` (a TypeError from a missing check, a RangeError from runaway recursion, ...) is a bug
 * in the parser: it is rethrown, so that fast-check shrinks the input that caused it.
 */
export function outcome<T>(parse: () => T, allowed: ErrorClass): Outcome<T> {
  try {
    return { ok: true, value: parse() };
  } catch (error) {
    if (error instanceof allowed) return { ok: false, error };
    throw error;
  }
}

/** Runs `parse`, which must throw an `allowed`; returns the error. */
export function refusal(parse: () => unknown, allowed: ErrorClass): Error & { code?: unknown; reason?: unknown } {
  const result = outcome(parse, allowed);
  if (result.ok) throw new Error(`expected a ${allowed.name}, but the input was accepted: ${String(JSON.stringify(result.value)).slice(0, 200)}`);
  return result.error;
}

const GUARDED: readonly object[] = [Object.prototype, Array.prototype, Function.prototype, String.prototype];

/** The own property names of the built-in prototypes that a careless parser could pollute. */
export function prototypeNames(): string {
  return GUARDED.map((proto) => Reflect.ownKeys(proto).map(String).sort().join(',')).join('|');
}

const BEFORE = prototypeNames();

/**
 * Throws if any built-in prototype gained or lost a property since this module was loaded, or if a
 * fresh object inherits a property named like the keys hostile inputs use.
 */
export function assertPrototypesUntouched(): void {
  if (prototypeNames() !== BEFORE) throw new Error('a built-in prototype was modified by parsing an input');
  const probe: Record<string, unknown> = {};
  for (const name of ['polluted', 'isAdmin', 'x']) {
    if (probe[name] !== undefined) throw new Error(`Object.prototype.${name} was set by parsing an input`);
  }
}

/**
 * Pieces that break naive parsers, shared by the hostile generators: prototype keys, JSON and
 * URL metacharacters, characters that look like white space, controls, lone surrogates, and the
 * number spellings every strict decimal parser refuses.
 */
export const HOSTILE_PIECES: readonly string[] = [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__',
  '', ' ', '\t', '\n', '\r', '\r\n', '\u0000', '\u0001', '\u001f', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff',
  '\ud800', '\udc00', '\ud83d\ude00', '\uffff', '\u2014', 'é',
  '"', "'", '\\', '/', '//', '.', '..', '%', '%00', '%2F', '%2B', '+', '=', '&', ';', ',', ':', '{', '}', '[', ']', '(', ')',
  '-1', '-0', '0', '00', '01', '+1', '1e3', '1.0', '0x10', '9007199254740991', '9007199254740992', '18446744073709551616',
  'NaN', 'Infinity', 'null', 'true',
];
