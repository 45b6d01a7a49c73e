import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  commitRecord,
  fieldCommitment,
  recordDigest,
  recordDigestInput,
  SALT_BYTES,
} from './commit.js';
import { parseRecord } from './json.js';
import { encodeLeaf } from './leaf.js';
import { fromHex, hex } from './testing.js';

const sha256Hex = (hexInput: string) => createHash('sha256').update(Buffer.from(hexInput, 'hex')).digest('hex');
const asciiHex = (text: string) => Buffer.from(text, 'utf8').toString('hex');

/**
 * Known-answer vector for PROTOCOL §2, for independent implementations to reuse.
 *
 * Submitted body:  {"action": "login", "zone": {"b": [1, 2.50, true], "a": null}}
 * Salts:           action 000102…0f, zone 101112…1f
 * Leaf:            kind "record", time 1763900000000, submitter "alice"
 */
const VECTOR = {
  body: '{"action": "login", "zone": {"b": [1, 2.50, true], "a": null}}',
  jcs: { action: '"login"', zone: '{"a":null,"b":[1,2.5,true]}' },
  salts: { action: '000102030405060708090a0b0c0d0e0f', zone: '101112131415161718191a1b1c1d1e1f' },
  commitments: {
    action: '3000d49d11be30be4184ff23268017815e8caf2f86dfdf203fcb9dc627d2772b',
    zone: 'ca4db638e05025c06343e89ff3f4a98d757caf46a836f0b7ec37553d9659e025',
  },
  // map(2), "zone" (4 bytes) before "action" (6 bytes): shorter encodings sort first.
  digestInput:
    'a2' +
    '647a6f6e65' + '5820' + 'ca4db638e05025c06343e89ff3f4a98d757caf46a836f0b7ec37553d9659e025' +
    '66616374696f6e' + '5820' + '3000d49d11be30be4184ff23268017815e8caf2f86dfdf203fcb9dc627d2772b',
  digest: '982740c93b15c1d0707909633a13a06f14796e37da399072cade915557b33b0e',
  leafInput:
    'a5' +
    '6176' + '01' + // "v": 1
    '646b696e64' + '667265636f7264' + // "kind": "record"
    '6474696d65' + '1b0000019ab0a20700' + // "time": 1763900000000
    '667265636f7264' + '5820' + '982740c93b15c1d0707909633a13a06f14796e37da399072cade915557b33b0e' + // "record"
    '697375626d6974746572' + '65616c696365', // "submitter": "alice"
  // RFC 6962 §2.1: SHA-256(0x00 || leaf_input)
  leafHash: '770414d425680425371c9a503b5f2aa9edfcb0e91b85a6ad47280ae46efd7883',
};

describe('known-answer vector (PROTOCOL §2)', () => {
  test('the expected values follow from the formulas, computed here with node:crypto alone', () => {
    expect(sha256Hex(VECTOR.salts.action + asciiHex('action') + '00' + asciiHex(VECTOR.jcs.action))).toBe(
      VECTOR.commitments.action,
    );
    expect(sha256Hex(VECTOR.salts.zone + asciiHex('zone') + '00' + asciiHex(VECTOR.jcs.zone))).toBe(
      VECTOR.commitments.zone,
    );
    expect(sha256Hex(VECTOR.digestInput)).toBe(VECTOR.digest);
    expect(sha256Hex('00' + VECTOR.leafInput)).toBe(VECTOR.leafHash);
    expect(VECTOR.leafInput.length / 2).toBe(87);
  });

  test('parse, commit, digest and leaf produce exactly those bytes', () => {
    const fields = parseRecord(new TextEncoder().encode(VECTOR.body));
    expect(fields).toEqual([
      { name: 'action', jcs: VECTOR.jcs.action },
      { name: 'zone', jcs: VECTOR.jcs.zone },
    ]);
    const salts = fromHex(VECTOR.salts.action + VECTOR.salts.zone);
    const requested: number[] = [];
    const committed = commitRecord(fields, (n) => {
      requested.push(n);
      return salts;
    });
    expect(requested).toEqual([32]);
    expect(committed.salts.map(hex)).toEqual([VECTOR.salts.action, VECTOR.salts.zone]);
    expect(committed.commitments.map(hex)).toEqual([VECTOR.commitments.action, VECTOR.commitments.zone]);
    expect(hex(committed.digest)).toBe(VECTOR.digest);
    expect(
      hex(recordDigestInput([['action', committed.commitments[0]!], ['zone', committed.commitments[1]!]])),
    ).toBe(VECTOR.digestInput);
    const leaf = encodeLeaf({ kind: 'record', time: 1763900000000, submitter: 'alice', record: committed.digest });
    expect(hex(leaf)).toBe(VECTOR.leafInput);
  });
});

describe('fieldCommitment', () => {
  test('is SHA-256(salt || UTF-8(name) || 0x00 || UTF-8(jcs)), non-ASCII included', () => {
    const salt = new Uint8Array(16).fill(0xab);
    const name = 'naïve 😀';
    const jcs = `"${'é'.repeat(100)}€"`; // long enough for the native encoder path
    const expected = sha256Hex(hex(salt) + asciiHex(name) + '00' + asciiHex(jcs));
    expect(hex(fieldCommitment(name, jcs, salt))).toBe(expected);
    expect(hex(fieldCommitment('a', '1', salt))).toBe(sha256Hex(hex(salt) + '61' + '00' + '31'));
    // Large values do not go through the shared scratch buffer, and do not disturb it.
    const big = `"${'x'.repeat(70000)}"`;
    expect(hex(fieldCommitment('a', big, salt))).toBe(sha256Hex(hex(salt) + '6100' + asciiHex(big)));
    expect(hex(fieldCommitment('a', '1', salt))).toBe(sha256Hex(hex(salt) + '61' + '00' + '31'));
  });

  test('the 0x00 separator keeps name and value apart', () => {
    const salt = new Uint8Array(16);
    expect(hex(fieldCommitment('ab', '1', salt))).not.toBe(hex(fieldCommitment('a', 'b1', salt)));
  });

  test('refuses salts that are not 16 bytes and texts with lone surrogates', () => {
    expect(() => fieldCommitment('a', '1', new Uint8Array(15))).toThrow(RangeError);
    expect(() => fieldCommitment('a', '1', [1, 2] as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => fieldCommitment('\ud800', '1', new Uint8Array(16))).toThrow(/lone surrogate/);
    expect(() => fieldCommitment('a', '"\udc00"', new Uint8Array(16))).toThrow(/lone surrogate/);
    expect(() => fieldCommitment('a', `"${'x'.repeat(80)}\udc00"`, new Uint8Array(16))).toThrow(/lone surrogate/);
  });
});

describe('recordDigestInput', () => {
  const c = (byte: number) => new Uint8Array(32).fill(byte);

  test('keys sorted by encoding whatever the input order; one 32-byte byte string per field', () => {
    const input = recordDigestInput([['bb', c(2)], ['a', c(1)], ['c', c(3)]]);
    expect(hex(input)).toBe(
      'a3' + '6161' + '5820' + '01'.repeat(32) + '6163' + '5820' + '03'.repeat(32) + '626262' + '5820' + '02'.repeat(32),
    );
  });

  test('sorts by UTF-8 bytes, not by UTF-16 code units', () => {
    const input = recordDigestInput([['\ud83d\ude00', c(1)], ['\uff5e', c(2)], ['\ue000', c(3)]]);
    // 3-byte names first (EE 80 80 < EF BD 9E), then the 4-byte emoji.
    expect(hex(input)).toBe(
      'a3' + '63ee8080' + '5820' + '03'.repeat(32) + '63efbd9e' + '5820' + '02'.repeat(32) + '64f09f9880' + '5820' + '01'.repeat(32),
    );
  });

  test('names longer than 23 bytes take a 2-byte head and sort after all shorter ones', () => {
    const long = 'a'.repeat(24);
    expect(hex(recordDigestInput([[long, c(1)], ['zz', c(2)]]))).toBe(
      'a2' + '627a7a' + '5820' + '02'.repeat(32) + '7818' + '61'.repeat(24) + '5820' + '01'.repeat(32),
    );
  });

  test('refuses repeated names, bad commitments, lone surrogates', () => {
    expect(() => recordDigestInput([['a', c(1)], ['a', c(2)]])).toThrow(/"a" appears twice/);
    expect(() => recordDigestInput([['a', new Uint8Array(31)]])).toThrow(RangeError);
    expect(() => recordDigestInput([['\ud800', c(1)]])).toThrow(/lone surrogate/);
  });

  test('recordDigest is its SHA-256', () => {
    const commitments: [string, Uint8Array][] = [['x', c(7)], ['y', c(8)]];
    expect(hex(recordDigest(commitments))).toBe(sha256Hex(hex(recordDigestInput(commitments))));
  });
});

describe('commitRecord', () => {
  test('one fresh salt per field, aligned with the fields', () => {
    const fields = parseRecord(new TextEncoder().encode('{"a":1,"b":"two","c":[3]}'));
    const first = commitRecord(fields, randomBytes);
    const second = commitRecord(fields, randomBytes);
    expect(first.salts).toHaveLength(3);
    expect(first.salts.every((s) => s.length === SALT_BYTES)).toBe(true);
    expect(new Set(first.salts.map(hex)).size).toBe(3);
    expect(hex(first.digest)).not.toBe(hex(second.digest));
    fields.forEach((field, i) => {
      expect(hex(first.commitments[i]!)).toBe(hex(fieldCommitment(field.name, field.jcs, first.salts[i]!)));
    });
    // Salts are copies: changing the random buffer afterwards changes nothing.
    const random = new Uint8Array(48).fill(5);
    const committed = commitRecord(fields, () => random);
    random.fill(0);
    expect(hex(committed.salts[0]!)).toBe('05'.repeat(16));
  });

  test('a random source that returns the wrong length is refused', () => {
    const fields = parseRecord(new TextEncoder().encode('{"a":1}'));
    expect(() => commitRecord(fields, () => new Uint8Array(8))).toThrow(RangeError);
  });

  test('erasing a field (keeping only its commitment) leaves the digest unchanged', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 10 }),
        fc.nat(),
        (record, pick) => {
          const text = JSON.stringify(record);
          fc.pre(!/\d{16}/.test(text) && !/[\u0000-\u001f\u007f-\u009f]/.test(Object.keys(record).join('')));
          const fields = parseRecord(new TextEncoder().encode(text));
          const committed = commitRecord(fields, randomBytes);
          const erased = pick % fields.length;
          // The log keeps the erased field's commitment; every other field is recomputed from value and salt.
          const recomputed = fields.map((field, i): [string, Uint8Array] => [
            field.name,
            i === erased ? committed.commitments[i]! : fieldCommitment(field.name, field.jcs, committed.salts[i]!),
          ]);
          expect(hex(recordDigest(recomputed))).toBe(hex(committed.digest));
          // …and a changed value in any other field no longer matches.
          if (fields.length > 1) {
            const other = (erased + 1) % fields.length;
            recomputed[other] = [fields[other]!.name, fieldCommitment(fields[other]!.name, 'null', committed.salts[other]!)];
            if (fields[other]!.jcs !== 'null') expect(hex(recordDigest(recomputed))).not.toBe(hex(committed.digest));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
