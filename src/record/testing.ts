/**
 * @module
 * Helpers for the record tests only (not exported by index.ts). No test-framework import, so the
 * build (which compiles everything but *.test.ts) can include it harmlessly.
 */
import { LogError } from '../util/errors.js';

/** Runs `fn`, expects a LogError with `code` ('malformed' unless given), and returns its message. */
export function malformed(fn: () => unknown, code: 'malformed' | 'tooLarge' = 'malformed'): string {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof LogError) || error.code !== code) {
      throw new Error(`expected a LogError ${code}, got ${String(error)}`, { cause: error });
    }
    return error.message;
  }
  throw new Error(`expected a LogError ${code}, but nothing was thrown`);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function fromHex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

/**
 * A deliberately naive RFC 8785 canonicaliser over JSON.parse output, to cross-check the parser:
 * default sort (UTF-16 code units), JSON.stringify for strings and numbers.
 */
export function referenceJcs(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(referenceJcs).join(',')}]`;
  const object = value as Record<string, unknown>;
  return `{${Object.keys(object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${referenceJcs(object[k])}`)
    .join(',')}}`;
}
