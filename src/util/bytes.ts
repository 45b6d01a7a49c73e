/**
 * @module
 * Byte helpers shared by every layer: argument checks in the noble style, base64 that refuses
 * what it cannot round-trip, and a constant-time comparison.
 */
import { timingSafeEqual } from 'node:crypto';

/** Throws TypeError unless `value` is a Uint8Array, RangeError unless it has `length` bytes. */
export function abytes(value: unknown, length: number | undefined, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** Throws unless `value` is a safe non-negative integer (an index or a size). */
export function auint(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`${name} must be a safe integer`);
  }
  if (value < 0) throw new RangeError(`${name} must not be negative, got ${value}`);
  return value;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Equality that takes the same time wherever the first difference is. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Small inputs are copied into one reused Buffer and encoded from there: a receipt encodes some 30
 * salts and hashes, and making a Buffer view of each cost twice as much as the encoding itself.
 */
const base64Scratch = Buffer.allocUnsafe(1024);

export function toBase64(bytes: Uint8Array): string {
  if (bytes.length <= base64Scratch.length) {
    base64Scratch.set(bytes, 0);
    return base64Scratch.toString('base64', 0, bytes.length);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}

/**
 * Decodes standard, padded base64 (RFC 4648 §4). Returns undefined for anything else: Node's own
 * decoder silently skips bad characters, which would let two texts name the same bytes.
 */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!BASE64_RE.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Non-zero padding bits: the text is not the canonical encoding of these bytes.
  if (bytes.toString('base64') !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes strict UTF-8; returns undefined for invalid sequences instead of substituting U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}
