/**
 * @module
 * Field commitments and the record digest (PROTOCOL §2, pinned):
 *
 *     commitment(f, v, r) = SHA-256( r || UTF-8(f) || 0x00 || UTF-8(JCS(v)) )
 *     record_digest       = SHA-256( dCBOR({ f: commitment(f, v, r) for every field }) )
 *
 * Randomness is injected so that this stays pure and testable; the caller passes a CSPRNG.
 */
import { abytes } from '../util/bytes.js';
import { sha256 } from '../util/hash.js';
import { compareTextKeys, DcborWriter, headLength } from './cbor.js';
import type { RecordField } from './json.js';
import { isWellFormed, utf8Length, writeUtf8 } from './text.js';

export const SALT_BYTES = 16;
export const COMMITMENT_BYTES = 32;

const encoder = new TextEncoder();
/**
 * Reused for every commitment's hash input: hashing is synchronous and keeps no reference, and a
 * fresh typed array per field costs more than the hash of a short field.
 */
let scratch = new Uint8Array(4096);
const MAX_SCRATCH_BYTES = 65536;

/**
 * SHA-256(salt || UTF-8(name) || 0x00 || UTF-8(jcs)). `jcs` is the canonical text of the value
 * (from the parser or canonicalize). Both texts must be well-formed: a lone surrogate would be
 * encoded as U+FFFD and two different texts would share a commitment, so it is a RangeError.
 */
export function fieldCommitment(name: string, jcs: string, salt: Uint8Array): Uint8Array {
  abytes(salt, SALT_BYTES, 'salt');
  if (typeof name !== 'string' || typeof jcs !== 'string') throw new TypeError('name and jcs must be strings');
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const bound = SALT_BYTES + 1 + 3 * (name.length + jcs.length);
  let input = scratch;
  if (bound > input.length) {
    input = new Uint8Array(bound);
    if (bound <= MAX_SCRATCH_BYTES) scratch = input;
  }
  input.set(salt, 0);
  let length = writeUtf8(name, input, SALT_BYTES);
  input[length++] = 0x00;
  if (jcs.length < 64) {
    length = writeUtf8(jcs, input, length);
  } else {
    // Long values: the native encoder is faster, but it would replace lone surrogates silently.
    if (!isWellFormed(jcs)) throw new RangeError('text contains a lone surrogate, which UTF-8 cannot encode');
    length += encoder.encodeInto(jcs, input.subarray(length)).written;
  }
  return sha256(input.subarray(0, length));
}

/**
 * The dCBOR map from each field name (text) to its commitment (32-byte byte string), keys sorted
 * by their encodings (RFC 8949 §4.2.1): shorter names first, then bytewise. Names must be distinct.
 */
export function recordDigestInput(
  commitments: ReadonlyArray<readonly [name: string, commitment: Uint8Array]>,
): Uint8Array {
  return writeDigestInput(commitments).finish();
}

/**
 * Where recordDigest lays out the digest input, which it hashes at once and does not keep: a new
 * typed array of that size (about 600 bytes, off the V8 heap) costs 0.5 µs to allocate and more
 * to collect (measured).
 */
const digestScratch = new DcborWriter(4096);

function writeDigestInput(
  commitments: ReadonlyArray<readonly [name: string, commitment: Uint8Array]>,
  into?: DcborWriter,
): DcborWriter {
  const entries: { name: string; length: number; commitment: Uint8Array }[] = [];
  let size = headLength(commitments.length);
  for (const [name, commitment] of commitments) {
    if (!(commitment instanceof Uint8Array) || commitment.length !== COMMITMENT_BYTES) {
      abytes(commitment, COMMITMENT_BYTES, `commitment of ${JSON.stringify(name)}`);
    }
    if (typeof name !== 'string') throw new TypeError('field names must be strings');
    const length = utf8Length(name);
    entries.push({ name, length, commitment });
    size += headLength(length) + length + 2 + COMMITMENT_BYTES;
  }
  entries.sort((a, b) => compareTextKeys(a.name, a.length, b.name, b.length));
  const writer = into ?? new DcborWriter(size);
  writer.head(5, entries.length);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (i > 0 && entries[i - 1]!.name === entry.name) {
      throw new RangeError(`field name ${JSON.stringify(entry.name)} appears twice`);
    }
    writer.textOfLength(entry.name, entry.length); // RangeError at a lone surrogate
    writer.byteString(entry.commitment);
  }
  return writer;
}

/** SHA-256 of recordDigestInput(commitments): what a leaf's `record` holds. */
export function recordDigest(
  commitments: ReadonlyArray<readonly [name: string, commitment: Uint8Array]>,
): Uint8Array {
  digestScratch.reset();
  return sha256(writeDigestInput(commitments, digestScratch).view());
}

/** What committing a record produces; `salts` and `commitments` are aligned with the fields. */
export interface RecordCommitment {
  readonly salts: Uint8Array[];
  readonly commitments: Uint8Array[];
  readonly digest: Uint8Array;
}

/**
 * Commits each field with a fresh 16-byte salt and computes the record digest. `randomBytes` must
 * be a CSPRNG (crypto.randomBytes); it is called once for all salts, which are its consecutive
 * 16-byte slices, in field order.
 */
export function commitRecord(
  fields: readonly RecordField[],
  randomBytes: (n: number) => Uint8Array,
): RecordCommitment {
  const random = abytes(randomBytes(SALT_BYTES * fields.length), SALT_BYTES * fields.length, 'randomBytes result');
  const salts: Uint8Array[] = [];
  const commitments: Uint8Array[] = [];
  const named: [string, Uint8Array][] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    // A copy, so that a salt kept in storage never aliases the others (nor the CSPRNG's buffer):
    // copied by hand, as slice() is a view for a Buffer and took twice as long for a Uint8Array.
    const salt = new Uint8Array(SALT_BYTES);
    for (let j = 0, k = i * SALT_BYTES; j < SALT_BYTES; j++, k++) salt[j] = random[k]!;
    const commitment = fieldCommitment(field.name, field.jcs, salt);
    salts.push(salt);
    commitments.push(commitment);
    named.push([field.name, commitment]);
  }
  return { salts, commitments, digest: recordDigest(named) };
}
