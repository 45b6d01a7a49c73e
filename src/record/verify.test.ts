import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { toBase64 } from '../util/bytes.js';
import { commitRecord } from './commit.js';
import { parseRecord } from './json.js';
import { encodeLeaf, type Leaf } from './leaf.js';
import {
  type FieldOpening,
  openingsFromReceiptSalts,
  openingsOf,
  RecordVerifyError,
  type VerifyStep,
  verifyLeafInput,
  verifyOpenings,
  verifyRecord,
} from './verify.js';

const fields = parseRecord(new TextEncoder().encode('{"event_id":"e-1","email":"a@example.org","n":[1,2]}'));
const committed = commitRecord(fields, randomBytes);
const leaf: Leaf = { kind: 'record', time: 1763900000000, submitter: 'gateway', record: committed.digest };

function failsAt(step: VerifyStep, run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RecordVerifyError);
    expect((error as RecordVerifyError).step).toBe(step);
    return (error as Error).message;
  }
  throw new Error(`expected verification to fail at step ${step}`);
}

describe('verifying a record against its leaf', () => {
  test('the record and its salts verify', () => {
    expect(() => verifyRecord(leaf, fields, committed.salts)).not.toThrow();
    expect(verifyLeafInput(encodeLeaf(leaf), openingsOf(fields, committed.salts))).toEqual(leaf);
  });

  test('a changed value, name, salt or order of salts fails at the digest', () => {
    const changedValue = fields.map((f) => (f.name === 'email' ? { ...f, jcs: '"b@example.org"' } : f));
    expect(failsAt('digest', () => verifyRecord(leaf, changedValue, committed.salts))).toMatch(
      /recomputed from 3 fields \(0 erased\) is .* but the leaf holds .*: a field name, value or salt differs/,
    );
    const changedName = fields.map((f) => (f.name === 'n' ? { ...f, name: 'm' } : f));
    failsAt('digest', () => verifyRecord(leaf, changedName, committed.salts));
    const changedSalt = committed.salts.map((s, i) => (i === 1 ? s.map((b) => b ^ 1) : s));
    failsAt('digest', () => verifyRecord(leaf, fields, changedSalt));
    failsAt('digest', () => verifyRecord(leaf, fields, [...committed.salts].reverse()));
    failsAt('digest', () => verifyRecord(leaf, fields.slice(0, 2), committed.salts.slice(0, 2)));
    failsAt('digest', () => verifyRecord({ ...leaf, record: new Uint8Array(32) }, fields, committed.salts));
  });

  test('an erased field enters through its commitment, and the other fields still verify', () => {
    const openings: FieldOpening[] = fields.map((field, i) =>
      field.name === 'email'
        ? { name: field.name, commitment: committed.commitments[i]! }
        : { name: field.name, jcs: field.jcs, salt: committed.salts[i]! },
    );
    expect(() => verifyOpenings(leaf, openings)).not.toThrow();
    const wrongCommitment = openings.map((o) => (o.name === 'email' ? { name: o.name, commitment: new Uint8Array(32) } : o));
    expect(failsAt('digest', () => verifyOpenings(leaf, wrongCommitment))).toMatch(/\(1 erased\)/);
  });

  test('a stated commitment is checked against value and salt, naming the field', () => {
    const openings: FieldOpening[] = fields.map((field, i) => ({
      name: field.name,
      jcs: field.name === 'n' ? '[1,3]' : field.jcs,
      salt: committed.salts[i]!,
      commitment: committed.commitments[i]!,
    }));
    expect(failsAt('commitment', () => verifyOpenings(leaf, openings))).toBe(
      'the value and salt of field "n" do not give the commitment the log stated',
    );
  });

  test('openings that do not line up fail before any hashing', () => {
    expect(failsAt('opening', () => verifyRecord(leaf, fields, committed.salts.slice(1)))).toBe(
      'the record has 3 fields but 2 salts were given',
    );
    const short = committed.salts.map((s, i) => (i === 0 ? s.subarray(0, 8) : s));
    expect(failsAt('opening', () => verifyRecord(leaf, fields, short))).toBe('the salt of field "event_id" must be 16 bytes');
    const twice = [...openingsOf(fields, committed.salts), openingsOf(fields, committed.salts)[0]!];
    expect(failsAt('opening', () => verifyOpenings(leaf, twice))).toBe('field "event_id" appears twice');
    expect(failsAt('opening', () => verifyOpenings(leaf, []))).toBe('a record has at least 1 field');
    expect(
      failsAt('opening', () => verifyOpenings(leaf, [{ name: 'x', commitment: new Uint8Array(3) }])),
    ).toBe('the commitment of field "x" must be 32 bytes');
    expect(
      failsAt('opening', () => verifyOpenings(leaf, [{ name: 'x', jcs: '"\ud800"', salt: new Uint8Array(16) }])),
    ).toMatch(/field "x": .*lone surrogate/);
  });

  test('a leaf_input that does not decode fails at the leaf step', () => {
    const bytes = encodeLeaf(leaf);
    expect(failsAt('leaf', () => verifyLeafInput(bytes.subarray(1), openingsOf(fields, committed.salts)))).toMatch(
      /leaf_input/,
    );
  });
});

describe('salts from a receipt (PROTOCOL §4)', () => {
  const receiptSalts = Object.fromEntries(fields.map((f, i) => [f.name, toBase64(committed.salts[i]!)]));

  test('pairs every field with its base64 salt', () => {
    expect(() => verifyOpenings(leaf, openingsFromReceiptSalts(fields, receiptSalts))).not.toThrow();
  });

  test('missing, extra, or badly encoded salts are named', () => {
    const { email: _email, ...missing } = receiptSalts;
    expect(failsAt('opening', () => openingsFromReceiptSalts(fields, missing))).toBe(
      'the receipt has no salt for field "email"',
    );
    expect(failsAt('opening', () => openingsFromReceiptSalts(fields, { ...receiptSalts, extra: receiptSalts.n }))).toBe(
      'the receipt has a salt for "extra", which is not a field of the record',
    );
    expect(failsAt('opening', () => openingsFromReceiptSalts(fields, { ...receiptSalts, n: 'AAAA' }))).toBe(
      'the salt of field "n" must be base64 of 16 bytes',
    );
    expect(failsAt('opening', () => openingsFromReceiptSalts(fields, { ...receiptSalts, n: 7 }))).toMatch(/base64/);
  });

  test('a field named __proto__ or toString is looked up as an own property only', () => {
    const odd = parseRecord(new TextEncoder().encode('{"__proto__":1,"toString":2}'));
    expect(failsAt('opening', () => openingsFromReceiptSalts(odd, {}))).toBe('the receipt has no salt for field "__proto__"');
    const salts = JSON.parse(`{"__proto__":"${toBase64(new Uint8Array(16))}","toString":"${toBase64(new Uint8Array(16))}"}`) as Record<string, string>;
    expect(openingsFromReceiptSalts(odd, salts)).toHaveLength(2);
  });
});
