/**
 * @module
 * Deterministic CBOR (RFC 8949 §4.2.1, "core deterministic encoding") for exactly what PROTOCOL §2
 * needs: unsigned integers up to 2^53 − 1, byte strings, text strings, arrays, and maps with text
 * keys. Nothing else is encoded, and the decoder refuses everything else, so one value has one
 * encoding and one encoding one value.
 */
import { abytes, fromUtf8 } from '../util/bytes.js';
import { compareCodePoints, utf8Length, writeUtf8 } from './text.js';

/** A value deterministic CBOR carries here: uint, text, bytes, array, or map with text keys. */
export type Dcbor = number | string | Uint8Array | readonly Dcbor[] | ReadonlyMap<string, Dcbor>;

/** Why bytes are not the deterministic encoding of a Dcbor value, and where that was seen. */
export class DcborError extends Error {
  override readonly name = 'DcborError';
  constructor(
    message: string,
    /** Offset of the data item or byte at fault. */
    readonly offset: number,
  ) {
    super(message);
  }
}

// RFC 8949 §3.1 major types.
const MAJOR_UINT = 0;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_NAMES = [
  'unsigned integer', 'negative integer', 'byte string', 'text string',
  'array', 'map', 'tag', 'simple value or float',
];

const TWO_32 = 0x1_0000_0000;

/** Bytewise lexicographic order (RFC 8949 §4.2.1: how map keys are sorted). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/**
 * Appends deterministic CBOR to a growing buffer. Exposed to leaf.ts and commit.ts, whose
 * fixed-shape encoders write through it directly instead of building Dcbor values.
 */
export class DcborWriter {
  private buffer: Uint8Array;
  length = 0;

  constructor(capacity = 128) {
    this.buffer = new Uint8Array(capacity);
  }

  /**
   * A writer that writes into `buffer` from its start (a Buffer from Node's pool, say, which is
   * cheaper to allocate than a typed array of its own); if it runs out of room it moves to a new,
   * larger buffer, as any writer does. finish() returns `buffer` itself when the writer filled it.
   */
  static into(buffer: Uint8Array): DcborWriter {
    const writer = new DcborWriter(0);
    writer.buffer = buffer;
    return writer;
  }

  /** Forgets what was written, keeping the buffer: for scratch encodings used at once. */
  reset(): void {
    this.length = 0;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  /** RFC 8949 §4.2.1: the argument in its shortest form (0..23 inline, then 1, 2, 4 or 8 bytes). */
  head(major: number, argument: number): void {
    this.reserve(9);
    const b = this.buffer;
    const m = major << 5;
    if (argument < 24) {
      b[this.length++] = m | argument;
    } else if (argument < 0x100) {
      b[this.length++] = m | 24;
      b[this.length++] = argument;
    } else if (argument < 0x1_0000) {
      b[this.length++] = m | 25;
      b[this.length++] = argument >>> 8;
      b[this.length++] = argument & 0xff;
    } else if (argument < TWO_32) {
      b[this.length++] = m | 26;
      this.uint32(argument);
    } else {
      b[this.length++] = m | 27;
      this.uint32(Math.floor(argument / TWO_32));
      this.uint32(argument >>> 0);
    }
  }

  private uint32(n: number): void {
    const b = this.buffer;
    b[this.length++] = n >>> 24;
    b[this.length++] = (n >>> 16) & 0xff;
    b[this.length++] = (n >>> 8) & 0xff;
    b[this.length++] = n & 0xff;
  }

  uint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`dCBOR integers here are 0..2^53−1, got ${n}`);
    }
    this.head(MAJOR_UINT, n);
  }

  /** Bytes copied as they are, with no head (for encodings prepared in advance). */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  byteString(bytes: Uint8Array): void {
    this.head(MAJOR_BYTES, bytes.length);
    this.raw(bytes);
  }

  /**
   * Appends `n` bytes for the caller to fill in place (a cipher's output, say) and returns them
   * with their offset in the buffer; they are part of the encoding from now on.
   */
  claim(n: number): { readonly buffer: Uint8Array; readonly offset: number } {
    this.reserve(n);
    const offset = this.length;
    this.length += n;
    return { buffer: this.buffer, offset };
  }

  /** A text string; it must be well-formed, since a lone surrogate has no UTF-8 encoding. */
  text(text: string): void {
    this.textOfLength(text, utf8Length(text));
  }

  /** A text string whose UTF-8 length the caller has already counted. */
  textOfLength(text: string, length: number): void {
    this.head(MAJOR_TEXT, length);
    this.reserve(length);
    this.length = writeUtf8(text, this.buffer, this.length);
  }

  value(value: Dcbor): void {
    if (typeof value === 'number') this.uint(value);
    else if (typeof value === 'string') this.text(value);
    else if (value instanceof Uint8Array) this.byteString(value);
    else if (Array.isArray(value)) {
      const items = value as readonly Dcbor[];
      this.head(MAJOR_ARRAY, items.length);
      for (const item of items) this.value(item);
    } else if (value instanceof Map) {
      this.map(value as ReadonlyMap<string, Dcbor>);
    } else {
      throw new TypeError('a dCBOR value is a number, string, Uint8Array, array or Map');
    }
  }

  private map(map: ReadonlyMap<string, Dcbor>): void {
    const entries: { key: string; length: number; value: Dcbor }[] = [];
    for (const [key, value] of map) {
      if (typeof key !== 'string') throw new TypeError('dCBOR map keys here are text strings');
      entries.push({ key, length: utf8Length(key), value });
    }
    entries.sort((a, b) => compareTextKeys(a.key, a.length, b.key, b.length));
    this.head(MAJOR_MAP, entries.length);
    for (const entry of entries) {
      this.textOfLength(entry.key, entry.length);
      this.value(entry.value);
    }
  }

  /** The bytes written so far, without copying: valid until the next write. */
  view(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** The bytes written; the writer must not be used afterwards. */
  finish(): Uint8Array {
    return this.length === this.buffer.length ? this.buffer : this.buffer.slice(0, this.length);
  }
}

/** Bytes taken by a head with this argument (RFC 8949 §3: 1, 2, 3, 5 or 9). */
export function headLength(argument: number): number {
  return argument < 24 ? 1 : argument < 0x100 ? 2 : argument < 0x1_0000 ? 3 : argument < TWO_32 ? 5 : 9;
}

/**
 * RFC 8949 §4.2.1 order of two text keys given with their UTF-8 lengths: the head grows with the
 * length, so a shorter key sorts first; keys of one length sort by their UTF-8 bytes, which is
 * code point order.
 */
export function compareTextKeys(a: string, aLength: number, b: string, bLength: number): number {
  return aLength - bLength || compareCodePoints(a, b);
}

/** The deterministic encoding of `value`. Throws TypeError/RangeError for values outside Dcbor. */
export function encodeDcbor(value: Dcbor): Uint8Array {
  const writer = new DcborWriter();
  writer.value(value);
  return writer.finish();
}

export interface DecodeOptions {
  /** Arrays and maps nested in one another (default 32). */
  readonly maxDepth?: number;
}

/**
 * Decodes bytes that must be exactly the deterministic encoding of one Dcbor value. Refuses, with
 * a DcborError naming the reason: major types 1, 6 and 7; indefinite lengths; reserved additional
 * information; arguments not in shortest form; integers beyond 2^53 − 1; invalid UTF-8 in text;
 * map keys that are not text, not sorted, or repeated; truncation; and trailing bytes.
 */
export function decodeDcbor(bytes: Uint8Array, options: DecodeOptions = {}): Dcbor {
  abytes(bytes, undefined, 'bytes');
  const reader = new Reader(bytes, options.maxDepth ?? 32);
  const value = reader.item(0);
  if (reader.pos !== bytes.length) {
    throw new DcborError(`${bytes.length - reader.pos} bytes follow the encoded value`, reader.pos);
  }
  return value;
}

class Reader {
  pos = 0;
  /** Major type of the head read last. */
  private major = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxDepth: number,
  ) {}

  item(depth: number): Dcbor {
    const start = this.pos;
    const argument = this.head();
    switch (this.major) {
      case MAJOR_UINT:
        return argument;
      case MAJOR_BYTES:
        return this.take(argument, start).slice();
      case MAJOR_TEXT: {
        const text = fromUtf8(this.take(argument, start));
        if (text === undefined) throw new DcborError('text string is not valid UTF-8', start);
        return text;
      }
      case MAJOR_ARRAY: {
        this.nest(depth, start);
        // Every item takes at least one byte: refuse impossible counts before allocating.
        this.need(argument, start);
        const items: Dcbor[] = [];
        for (let i = 0; i < argument; i++) items.push(this.item(depth + 1));
        return items;
      }
      case MAJOR_MAP:
        this.nest(depth, start);
        return this.map(argument, depth, start);
      default:
        throw new DcborError(`major type ${this.major} (${MAJOR_NAMES[this.major]}) is not used here`, start);
    }
  }

  private map(count: number, depth: number, start: number): Map<string, Dcbor> {
    this.need(count * 2, start);
    const map = new Map<string, Dcbor>();
    let previous: Uint8Array | undefined;
    for (let i = 0; i < count; i++) {
      const keyStart = this.pos;
      if (this.bytes[keyStart]! >> 5 !== MAJOR_TEXT) {
        throw new DcborError('map keys must be text strings', keyStart);
      }
      const key = this.item(depth + 1) as string;
      const encodedKey = this.bytes.subarray(keyStart, this.pos);
      if (previous !== undefined) {
        const order = compareBytes(previous, encodedKey);
        if (order === 0) throw new DcborError(`map key ${JSON.stringify(key)} is repeated`, keyStart);
        if (order > 0) {
          throw new DcborError(
            `map key ${JSON.stringify(key)} is out of order; keys are sorted by the bytes of their encodings`,
            keyStart,
          );
        }
      }
      previous = encodedKey;
      map.set(key, this.item(depth + 1));
    }
    return map;
  }

  /** Reads a head; sets `major` and returns the argument, refusing non-shortest forms. */
  private head(): number {
    const start = this.pos;
    this.need(1, start);
    const initial = this.bytes[this.pos++]!;
    this.major = initial >> 5;
    const info = initial & 0x1f;
    if (info < 24) return info;
    if (info === 31) throw new DcborError('indefinite lengths are not deterministic (RFC 8949 §4.2.1)', start);
    if (info > 27) throw new DcborError(`additional information ${info} is reserved`, start);
    const size = 1 << (info - 24); // 1, 2, 4 or 8 bytes
    this.need(size, start);
    const b = this.bytes;
    const p = this.pos;
    let argument: number;
    let smallest: number;
    if (size === 1) {
      argument = b[p]!;
      smallest = 24;
    } else if (size === 2) {
      argument = (b[p]! << 8) | b[p + 1]!;
      smallest = 0x100;
    } else if (size === 4) {
      argument = readUint32(b, p);
      smallest = 0x1_0000;
    } else {
      const high = readUint32(b, p);
      if (high > 0x1f_ffff) throw new DcborError('integers above 2^53−1 are not used here', start);
      argument = high * TWO_32 + readUint32(b, p + 4);
      smallest = TWO_32;
    }
    this.pos += size;
    if (argument < smallest) {
      throw new DcborError(`argument ${argument} is not in its shortest form (RFC 8949 §4.2.1)`, start);
    }
    return argument;
  }

  private take(length: number, start: number): Uint8Array {
    this.need(length, start);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  private need(n: number, start: number): void {
    if (this.bytes.length - this.pos < n) {
      throw new DcborError('the data item is cut short by the end of the input', start);
    }
  }

  private nest(depth: number, start: number): void {
    if (depth >= this.maxDepth) {
      throw new DcborError(`arrays and maps are nested more than ${this.maxDepth} deep`, start);
    }
  }
}

function readUint32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}
