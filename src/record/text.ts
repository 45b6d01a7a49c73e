/**
 * @module
 * Small text checks shared by the record modules: well-formed UTF-16 (no lone surrogates), UTF-8
 * byte lengths, and the field-name rule of PROTOCOL §2.
 */

/** Largest integer a JSON number may be written as (RFC 7493 §2.2, PROTOCOL §2): 2^53 − 1. */
export const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

/** PROTOCOL §2: field names are 1..256 bytes of UTF-8. */
export const MAX_FIELD_NAME_BYTES = 256;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Node 20 has String.prototype.isWellFormed (ES2024) but our lib setting is ES2023.
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean })
  .isWellFormed;

/**
 * True when `text` has no lone surrogate, so that it has exactly one UTF-8 encoding (a lone
 * surrogate would be replaced by U+FFFD, and two different texts would commit to the same bytes).
 */
export function isWellFormed(text: string): boolean {
  return nativeIsWellFormed !== undefined
    ? nativeIsWellFormed.call(text)
    : !LONE_SURROGATE.test(text);
}

/**
 * Strings longer than this go through Node's native UTF-8 code (after a native well-formedness
 * check); shorter ones through the JavaScript loops below, which win for short names and values.
 * A ~1 KB record stored as dCBOR text spent a tenth of add-entry's CPU in the loops.
 */
const NATIVE_FROM = 64;

/** Number of bytes in the UTF-8 encoding of a well-formed string. */
export function utf8Length(text: string): number {
  if (text.length > NATIVE_FROM && isWellFormed(text)) return Buffer.byteLength(text, 'utf8');
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A surrogate pair is 2 code units and 4 bytes, so each unit adds one byte here.
    if (c >= 0x80) bytes += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return bytes;
}

/**
 * Writes the UTF-8 encoding of `text` into `out` at `offset` and returns the offset after it.
 * `out` must have room (utf8Length bytes). Throws RangeError at a lone surrogate instead of writing
 * U+FFFD, which would let two different texts share an encoding. Written out in JavaScript because
 * for the short names and values of a record it is several times faster than TextEncoder.
 */
export function writeUtf8(text: string, out: Uint8Array, offset: number): number {
  if (text.length > NATIVE_FROM && isWellFormed(text)) {
    return offset + Buffer.from(out.buffer, out.byteOffset, out.length).write(text, offset, 'utf8');
  }
  let o = offset;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
    } else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    } else {
      const low = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) {
        throw new RangeError('text contains a lone surrogate, which UTF-8 cannot encode');
      }
      const p = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
      out[o++] = 0xf0 | (p >> 18);
      out[o++] = 0x80 | ((p >> 12) & 0x3f);
      out[o++] = 0x80 | ((p >> 6) & 0x3f);
      out[o++] = 0x80 | (p & 0x3f);
      i++;
    }
  }
  return o;
}

/**
 * Orders well-formed strings by code point, which is the bytewise order of their UTF-8 encodings
 * (RFC 3629 §1). It differs from JavaScript's UTF-16 order only where a surrogate pair meets
 * U+E000..U+FFFF: the pair encodes a code point above U+FFFF, so it sorts after.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xPair = x >= 0xd800 && x <= 0xdfff;
    const yPair = y >= 0xd800 && y <= 0xdfff;
    if (xPair !== yPair) return xPair ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function controlProblem(c: number): string {
  return (
    `contains the control character ${describeCodeUnit(c)}; field names may not contain ` +
    'U+0000–U+001F or U+007F–U+009F'
  );
}

export function describeCodeUnit(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Why `name` cannot be a top-level field name (PROTOCOL §2: 1..256 bytes of UTF-8 without control
 * characters), or undefined when it can. The phrase completes "field name "x" ...".
 */
export function fieldNameProblem(name: string): string | undefined {
  if (name.length === 0) {
    return `is empty; field names are 1 to ${MAX_FIELD_NAME_BYTES} bytes of UTF-8`;
  }
  // One pass: control characters, surrogate pairing and the UTF-8 length together.
  let bytes = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x80) {
      if (c < 0x20 || c === 0x7f) return controlProblem(c);
      bytes += 1;
    } else if (c < 0x800) {
      if (c <= 0x9f) return controlProblem(c);
      bytes += 2;
    } else if (c < 0xd800 || c > 0xdfff) {
      bytes += 3;
    } else {
      const low = name.charCodeAt(i + 1);
      if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) {
        return 'contains a lone surrogate; field names must be valid Unicode';
      }
      bytes += 4;
      i++;
    }
  }
  if (bytes > MAX_FIELD_NAME_BYTES) {
    return `is ${bytes} bytes of UTF-8; at most ${MAX_FIELD_NAME_BYTES} are accepted`;
  }
  return undefined;
}

/** A name quoted for an error message, shortened so that a huge name cannot flood the message. */
export function quoteForMessage(text: string, max = 64): string {
  const short = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(short);
}
