/**
 * @module
 * Decoding a request body as JSON text: strict UTF-8 with no byte order mark, and, when that fails,
 * a message that says where and why.
 */
import { fromUtf8 } from '../util/bytes.js';
import { LogError } from '../util/errors.js';

/** RFC 8259 §8.1: JSON text is UTF-8 without a byte order mark; RFC 7493 §2.1 insists on it. */
export function decodeBody(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new LogError('malformed', 'the body starts with a byte order mark (EF BB BF); send UTF-8 JSON without one');
  }
  const text = fromUtf8(bytes);
  if (text === undefined) {
    const bad = invalidUtf8(bytes);
    throw new LogError('malformed', `the body is not valid UTF-8: ${bad}; JSON text must be UTF-8`);
  }
  return text;
}

/** Where and why strict UTF-8 decoding failed (RFC 3629 §4); only called on that error path. */
function invalidUtf8(bytes: Uint8Array): string {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else {
      return `byte ${hex(b)} at offset ${i} cannot start a UTF-8 sequence`;
    }
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      if (next === undefined) return `the sequence at offset ${i} is cut short by the end of the body`;
      if (next < low || next > high) {
        if (b === 0xed && k === 1 && next >= 0xa0 && next <= 0xbf) {
          return `the sequence at offset ${i} encodes a UTF-16 surrogate, which UTF-8 may not carry`;
        }
        return `byte ${hex(next)} at offset ${i + k} does not continue the sequence at offset ${i}`;
      }
      low = 0x80;
      high = 0xbf;
    }
    i += need + 1;
  }
  return 'invalid sequence';
}

function hex(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

