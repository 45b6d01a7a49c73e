/**
 * @module
 * What an offline verifier does with a record and its salts (PROTOCOL §2): recompute every field
 * commitment, then the record digest, and compare it with the leaf's `record`. Independent of
 * storage and HTTP; the CLI's verify-receipt and any auditor use it. Hashing the leaf and checking
 * the inclusion proof are the tree's business (src/merkle).
 */
import { equalBytes, fromBase64, toBase64 } from '../util/bytes.js';
import { COMMITMENT_BYTES, fieldCommitment, recordDigest, SALT_BYTES } from './commit.js';
import type { RecordField } from './json.js';
import { decodeLeaf, type Leaf, LeafError } from './leaf.js';
import { quoteForMessage } from './text.js';

/**
 * One top-level field as a verifier holds it: opened (its value and salt, and perhaps the
 * commitment the log stated for it) or erased (PROTOCOL §6: only its commitment is left).
 */
export type FieldOpening =
  | {
      readonly name: string;
      readonly jcs: string;
      readonly salt: Uint8Array;
      /** When the log also served the commitment, it is checked against value and salt. */
      readonly commitment?: Uint8Array;
    }
  | { readonly name: string; readonly commitment: Uint8Array };

/**
 * Which step failed: 'leaf' the leaf_input does not decode; 'opening' the record and salts given
 * do not line up (missing, extra or badly sized salts, repeated names); 'commitment' a field's
 * value and salt do not give the commitment the log stated; 'digest' the recomputed record digest
 * differs from the leaf's.
 */
export type VerifyStep = 'leaf' | 'opening' | 'commitment' | 'digest';

export class RecordVerifyError extends Error {
  override readonly name = 'RecordVerifyError';
  constructor(
    readonly step: VerifyStep,
    message: string,
  ) {
    super(message);
  }
}

/** Pairs fields with salts given in the same order (as commitRecord returns them). */
export function openingsOf(fields: readonly RecordField[], salts: readonly Uint8Array[]): FieldOpening[] {
  if (fields.length !== salts.length) {
    throw new RecordVerifyError('opening', `the record has ${fields.length} fields but ${salts.length} salts were given`);
  }
  return fields.map((field, i) => ({ name: field.name, jcs: field.jcs, salt: salts[i]! }));
}

/**
 * Pairs fields with the `salts` object of a receipt (PROTOCOL §4: field name → base64 of 16
 * bytes). Every field needs a salt and every salt a field.
 */
export function openingsFromReceiptSalts(
  fields: readonly RecordField[],
  salts: { readonly [name: string]: unknown },
): FieldOpening[] {
  const names = new Set<string>();
  const openings: FieldOpening[] = [];
  for (const field of fields) {
    names.add(field.name);
    const text = Object.hasOwn(salts, field.name) ? salts[field.name] : undefined;
    if (text === undefined) {
      throw new RecordVerifyError('opening', `the receipt has no salt for field ${quoteForMessage(field.name)}`);
    }
    const salt = typeof text === 'string' ? fromBase64(text) : undefined;
    if (salt === undefined || salt.length !== SALT_BYTES) {
      throw new RecordVerifyError(
        'opening',
        `the salt of field ${quoteForMessage(field.name)} must be base64 of ${SALT_BYTES} bytes`,
      );
    }
    openings.push({ name: field.name, jcs: field.jcs, salt });
  }
  for (const name of Object.keys(salts)) {
    if (!names.has(name)) {
      throw new RecordVerifyError('opening', `the receipt has a salt for ${quoteForMessage(name)}, which is not a field of the record`);
    }
  }
  return openings;
}

/** Recomputes each field's commitment (checking any commitment the log stated) and the digest. */
export function recordDigestFromOpenings(openings: readonly FieldOpening[]): Uint8Array {
  if (openings.length === 0) throw new RecordVerifyError('opening', 'a record has at least 1 field');
  const names = new Set<string>();
  const commitments: [string, Uint8Array][] = [];
  for (const opening of openings) {
    const name = opening.name;
    if (names.has(name)) throw new RecordVerifyError('opening', `field ${quoteForMessage(name)} appears twice`);
    names.add(name);
    commitments.push([name, commitmentOf(opening)]);
  }
  return recordDigest(commitments);
}

function commitmentOf(opening: FieldOpening): Uint8Array {
  const stated = opening.commitment;
  if (stated !== undefined && (!(stated instanceof Uint8Array) || stated.length !== COMMITMENT_BYTES)) {
    throw new RecordVerifyError('opening', `the commitment of field ${quoteForMessage(opening.name)} must be ${COMMITMENT_BYTES} bytes`);
  }
  if (!('jcs' in opening)) {
    if (stated === undefined) {
      throw new RecordVerifyError('opening', `field ${quoteForMessage(opening.name)} has neither a value and salt nor a commitment`);
    }
    return stated; // erased: the log kept only the commitment
  }
  if (!(opening.salt instanceof Uint8Array) || opening.salt.length !== SALT_BYTES) {
    throw new RecordVerifyError('opening', `the salt of field ${quoteForMessage(opening.name)} must be ${SALT_BYTES} bytes`);
  }
  let computed: Uint8Array;
  try {
    computed = fieldCommitment(opening.name, opening.jcs, opening.salt);
  } catch (error) {
    if (error instanceof RangeError) throw new RecordVerifyError('opening', `field ${quoteForMessage(opening.name)}: ${error.message}`);
    throw error;
  }
  if (stated !== undefined && !equalBytes(computed, stated)) {
    throw new RecordVerifyError(
      'commitment',
      `the value and salt of field ${quoteForMessage(opening.name)} do not give the commitment the log stated`,
    );
  }
  return computed;
}

/** Recomputes the record digest from `openings` and compares it with `leaf.record`. */
export function verifyOpenings(leaf: Leaf, openings: readonly FieldOpening[]): void {
  const digest = recordDigestFromOpenings(openings);
  if (!equalBytes(digest, leaf.record)) {
    const erased = openings.filter((o) => !('jcs' in o)).length;
    throw new RecordVerifyError(
      'digest',
      `the record digest recomputed from ${openings.length} fields (${erased} erased) is ${toBase64(digest)}, ` +
        `but the leaf holds ${toBase64(leaf.record)}: a field name, value or salt differs from what was logged`,
    );
  }
}

/** verifyOpenings for a record whose fields and salts are aligned arrays. */
export function verifyRecord(leaf: Leaf, fields: readonly RecordField[], salts: readonly Uint8Array[]): void {
  verifyOpenings(leaf, openingsOf(fields, salts));
}

/** Decodes `leafInput` (step 'leaf'), verifies the openings against it, and returns the leaf. */
export function verifyLeafInput(leafInput: Uint8Array, openings: readonly FieldOpening[]): Leaf {
  let leaf: Leaf;
  try {
    leaf = decodeLeaf(leafInput);
  } catch (error) {
    if (error instanceof LeafError) throw new RecordVerifyError('leaf', error.message);
    throw error;
  }
  verifyOpenings(leaf, openings);
  return leaf;
}
