/**
 * @module
 * The strict I-JSON (RFC 7493) parser for submitted audit records (PROTOCOL §2). One pass over the
 * decoded text checks every rule and builds, bottom-up, the RFC 8785 (JCS) canonical text of each
 * top-level field's value, which is what the field commitment hashes.
 *
 * JSON.parse cannot be used: it keeps the last of two members with the same name, accepts escaped
 * lone surrogates and rounds integers beyond 2^53 silently. No JavaScript object is ever built from
 * the input, so names such as `__proto__` are ordinary names.
 */
import { abytes, auint } from '../util/bytes.js';
import { LogError } from '../util/errors.js';
import { decodeBody } from './body.js';
import { Parser } from './parser.js';

/** One top-level field of a record: its name and the JCS canonical text of its value. */
export interface RecordField {
  readonly name: string;
  readonly jcs: string;
}

export interface RecordLimits {
  /** Top-level fields per record (PROTOCOL §2: 256). */
  readonly maxFields: number;
  /** Objects and arrays nested in one another, the record object counting as 1. */
  readonly maxDepth: number;
  /** UTF-8 bytes of one record: the whole body for add-entry, one element's span for add-entries. */
  readonly maxRecordBytes: number;
  /** Records in one add-entries batch (PROTOCOL §5: 1000). */
  readonly maxBatch: number;
}

export const DEFAULT_RECORD_LIMITS: RecordLimits = Object.freeze({
  maxFields: 256,
  maxDepth: 32,
  maxRecordBytes: 1_048_576,
  maxBatch: 1000,
});

/**
 * Parses one submitted record: a JSON object with 1..maxFields members. Returns its fields in
 * submission order. Throws LogError 'tooLarge' for a record over maxRecordBytes, otherwise 'malformed' naming the problem, the JSON path and the byte
 * offset where it was found.
 */
export function parseRecord(bytes: Uint8Array, limits?: Partial<RecordLimits>): RecordField[] {
  const resolved = resolveLimits(limits);
  abytes(bytes, undefined, 'bytes');
  if (bytes.length > resolved.maxRecordBytes) {
    throw new LogError(
      'tooLarge',
      `the record is ${bytes.length} bytes; at most ${resolved.maxRecordBytes} are accepted`,
    );
  }
  const parser = new Parser(decodeBody(bytes), resolved);
  parser.skipWhitespace();
  const fields = parser.record();
  parser.end('after the record');
  return fields;
}

/**
 * Parses an add-entries body: a JSON array of 1..maxBatch records, each obeying the rules of
 * parseRecord and spanning at most maxRecordBytes bytes. Messages about one record start with
 * `record <i>: ` (0-based).
 */
export function parseRecordBatch(bytes: Uint8Array, limits?: Partial<RecordLimits>): RecordField[][] {
  const resolved = resolveLimits(limits);
  abytes(bytes, undefined, 'bytes');
  const text = decodeBody(bytes);
  const parser = new Parser(text, resolved);
  parser.skipWhitespace();
  if (text.charCodeAt(parser.pos) !== 0x5b) {
    parser.fail(`a batch must be a JSON array of 1 to ${resolved.maxBatch} records`, true);
  }
  parser.pos++;
  parser.skipWhitespace();
  if (text.charCodeAt(parser.pos) === 0x5d) {
    parser.fail(`a batch must hold 1 to ${resolved.maxBatch} records; got an empty array`, false);
  }
  const records: RecordField[][] = [];
  for (;;) {
    if (records.length === resolved.maxBatch) {
      parser.fail(`record ${records.length}: a batch holds at most ${resolved.maxBatch} records`, false);
    }
    parser.prefix = `record ${records.length}: `;
    const start = parser.pos;
    records.push(parser.record());
    const span = parser.pos - start;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit, so most records need no count.
    if (span * 3 > resolved.maxRecordBytes) {
      const size = Buffer.byteLength(text.slice(start, parser.pos), 'utf8');
      if (size > resolved.maxRecordBytes) {
        parser.fail(`the record is ${size} bytes; at most ${resolved.maxRecordBytes} are accepted`, false, 'tooLarge');
      }
    }
    parser.prefix = '';
    parser.skipWhitespace();
    const c = text.charCodeAt(parser.pos);
    if (c === 0x5d) break;
    if (c !== 0x2c) parser.unexpected(`',' or ']' after record ${records.length - 1}`);
    parser.pos++;
    parser.skipWhitespace();
  }
  parser.pos++;
  parser.end('after the batch');
  return records;
}

/**
 * Limits objects already checked, with their resolved form: the server passes the same one with
 * every request. Limits are read-only, so a checked object stays valid.
 */
const resolvedLimits = new WeakMap<Partial<RecordLimits>, RecordLimits>();

function resolveLimits(limits: Partial<RecordLimits> | undefined): RecordLimits {
  if (limits === undefined) return DEFAULT_RECORD_LIMITS;
  const known = resolvedLimits.get(limits);
  if (known !== undefined) return known;
  const resolved = { ...DEFAULT_RECORD_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    if (auint(value, name) === 0) throw new RangeError(`${name} must be at least 1`);
  }
  resolvedLimits.set(limits, resolved);
  return resolved;
}

