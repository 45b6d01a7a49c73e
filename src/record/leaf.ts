/**
 * @module
 * leaf_input (PROTOCOL §2, pinned): the dCBOR map {v, kind, time, record, submitter} that the tree
 * hashes as a leaf (RFC 6962 §2.1: leaf hash = SHA-256(0x00 || leaf_input)).
 */
import { abytes, auint } from '../util/bytes.js';
import { DcborError, DcborWriter, decodeDcbor, headLength } from './cbor.js';
import { utf8Length } from './text.js';

export type LeafKind = 'record' | 'erasure';

/** A decoded leaf_input. The format version `v` is always 1 and is not carried here. */
export interface Leaf {
  /** "record" for a submitted record, "erasure" for an entry the log writes when it erases fields. */
  readonly kind: LeafKind;
  /** Log timestamp, milliseconds since the Unix epoch, assigned when the entry was sequenced. */
  readonly time: number;
  /** The authenticated principal that submitted the record (the log itself for "erasure"). */
  readonly submitter: string;
  /** The 32-byte record digest. */
  readonly record: Uint8Array;
}

export const LEAF_VERSION = 1;
export const RECORD_DIGEST_BYTES = 32;
/**
 * tlog-tiles entry bundles prefix each leaf_input with a uint16 length, so no leaf may be longer.
 * A leaf is about 80 bytes plus the submitter's name.
 */
export const MAX_LEAF_INPUT_BYTES = 0xffff;

/** Why bytes are not a valid leaf_input. */
export class LeafError extends Error {
  override readonly name = 'LeafError';
}

const KEYS = ['v', 'kind', 'time', 'record', 'submitter'] as const;

// Each key's encoding, written by hand from RFC 8949 §3.1: text of length n is 0x60+n, then UTF-8.
// Listed in the order of their encodings (shorter first), which is the order in the map.
const HEAD_AND_V = Uint8Array.of(0xa5, 0x61, 0x76, 0x01); // map(5), "v": 1
const KEY_KIND = Uint8Array.of(0x64, 0x6b, 0x69, 0x6e, 0x64); // "kind"
const KEY_TIME = Uint8Array.of(0x64, 0x74, 0x69, 0x6d, 0x65); // "time"
// "record" followed by the head of a 32-byte byte string (0x58 0x20)
const KEY_RECORD = Uint8Array.of(0x66, 0x72, 0x65, 0x63, 0x6f, 0x72, 0x64, 0x58, 0x20);
const KEY_SUBMITTER = Uint8Array.of(0x69, 0x73, 0x75, 0x62, 0x6d, 0x69, 0x74, 0x74, 0x65, 0x72);
const KIND_VALUES: Record<LeafKind, Uint8Array> = {
  record: Uint8Array.of(0x66, 0x72, 0x65, 0x63, 0x6f, 0x72, 0x64),
  erasure: Uint8Array.of(0x67, 0x65, 0x72, 0x61, 0x73, 0x75, 0x72, 0x65),
};

/** The leaf_input of `leaf`. Throws TypeError/RangeError for a leaf that PROTOCOL §2 does not allow. */
export function encodeLeaf(leaf: Leaf): Uint8Array {
  if (!Object.hasOwn(KIND_VALUES, leaf.kind)) {
    throw new TypeError(`leaf.kind must be "record" or "erasure", got ${String(leaf.kind)}`);
  }
  const kind = KIND_VALUES[leaf.kind];
  auint(leaf.time, 'leaf.time');
  abytes(leaf.record, RECORD_DIGEST_BYTES, 'leaf.record');
  if (typeof leaf.submitter !== 'string') throw new TypeError('leaf.submitter must be a string');
  if (leaf.submitter.length === 0) throw new RangeError('leaf.submitter must not be empty');
  const submitterLength = utf8Length(leaf.submitter);
  // Exact size, so the writer allocates once and finish() does not copy.
  const size =
    HEAD_AND_V.length + KEY_KIND.length + kind.length + KEY_TIME.length + headLength(leaf.time) +
    KEY_RECORD.length + RECORD_DIGEST_BYTES + KEY_SUBMITTER.length + headLength(submitterLength) +
    submitterLength;
  if (size > MAX_LEAF_INPUT_BYTES) {
    throw new RangeError(`leaf_input would be ${size} bytes; at most ${MAX_LEAF_INPUT_BYTES} fit a tile entry`);
  }
  const writer = new DcborWriter(size);
  writer.raw(HEAD_AND_V);
  writer.raw(KEY_KIND);
  writer.raw(kind);
  writer.raw(KEY_TIME);
  writer.uint(leaf.time);
  writer.raw(KEY_RECORD);
  writer.raw(leaf.record);
  writer.raw(KEY_SUBMITTER);
  writer.textOfLength(leaf.submitter, submitterLength); // RangeError at a lone surrogate
  return writer.finish();
}

/**
 * The kind of a leaf_input this log encoded, without decoding it: deterministic order puts `"kind"`
 * right after `"v": 1`, so the kind's text starts at a fixed offset. Anything that does not look
 * exactly like that is decoded in full (decodeLeaf, which throws LeafError for bad bytes).
 */
export function leafKind(leafInput: Uint8Array): LeafKind {
  const at = HEAD_AND_V.length + KEY_KIND.length;
  for (const kind of ['record', 'erasure'] as const) {
    const text = KIND_VALUES[kind];
    if (leafInput.length > at + text.length && startsWithAt(leafInput, HEAD_AND_V, 0) && startsWithAt(leafInput, KEY_KIND, HEAD_AND_V.length) && startsWithAt(leafInput, text, at)) {
      return kind;
    }
  }
  return decodeLeaf(leafInput).kind;
}

function startsWithAt(bytes: Uint8Array, prefix: Uint8Array, offset: number): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[offset + i] !== prefix[i]) return false;
  return true;
}

/**
 * Decodes a leaf_input strictly: deterministic CBOR, a map with exactly the five keys, v = 1, a
 * known kind, a non-empty submitter, a 32-byte record digest. Throws LeafError with the reason.
 */
export function decodeLeaf(leafInput: Uint8Array): Leaf {
  abytes(leafInput, undefined, 'leafInput');
  if (leafInput.length > MAX_LEAF_INPUT_BYTES) {
    throw new LeafError(`leaf_input is ${leafInput.length} bytes; at most ${MAX_LEAF_INPUT_BYTES} fit a tile entry`);
  }
  let decoded;
  try {
    decoded = decodeDcbor(leafInput);
  } catch (error) {
    if (error instanceof DcborError) {
      throw new LeafError(`leaf_input is not deterministic CBOR: ${error.message} (offset ${error.offset})`);
    }
    throw error;
  }
  if (!(decoded instanceof Map)) throw new LeafError('leaf_input must be a CBOR map');
  const map = decoded as ReadonlyMap<string, unknown>;
  for (const key of map.keys()) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new LeafError(`leaf_input has the unknown key ${JSON.stringify(key)}; its keys are exactly ${KEYS.join(', ')}`);
    }
  }
  for (const key of KEYS) {
    if (!map.has(key)) throw new LeafError(`leaf_input has no key "${key}"; its keys are exactly ${KEYS.join(', ')}`);
  }
  const v = map.get('v');
  if (v !== LEAF_VERSION) throw new LeafError(`leaf_input "v" must be ${LEAF_VERSION}, got ${describe(v)}`);
  const kind = map.get('kind');
  if (kind !== 'record' && kind !== 'erasure') {
    throw new LeafError(`leaf_input "kind" must be "record" or "erasure", got ${describe(kind)}`);
  }
  const time = map.get('time');
  if (typeof time !== 'number') throw new LeafError(`leaf_input "time" must be an unsigned integer, got ${describe(time)}`);
  const submitter = map.get('submitter');
  if (typeof submitter !== 'string' || submitter.length === 0) {
    throw new LeafError(`leaf_input "submitter" must be non-empty text, got ${describe(submitter)}`);
  }
  const record = map.get('record');
  if (!(record instanceof Uint8Array) || record.length !== RECORD_DIGEST_BYTES) {
    throw new LeafError(`leaf_input "record" must be ${RECORD_DIGEST_BYTES} bytes, got ${describe(record)}`);
  }
  return { kind, time, submitter, record };
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (value instanceof Map) return 'a map';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 64 ? value.slice(0, 64) + '…' : value)}`;
  return String(value);
}
