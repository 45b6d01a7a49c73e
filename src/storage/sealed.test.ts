/**
 * The sealed record (spec/formats.md §20.1) is written by hand (encodeSealedRecord); these tests
 * hold it to the definition: the dCBOR array [2, key_id, generation, sealed, clear] as encodeDcbor
 * writes it, `sealed` opening under the associated data the spec gives, built here the plain way.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeDcbor, encodeDcbor } from '../record/cbor.js';
import type { Dcbor } from '../record/cbor.js';
import { fieldCommitment } from '../record/index.js';
import { NONCE_BYTES, open, seal } from './crypto.js';
import { writeUint64 } from './keys.js';
import { encodeSealedRecord } from './sealed.js';
import type { DataKey } from './sealed.js';
import type { StoredRecordField } from './types.js';

/** spec/formats.md §20.1, spelled out with the generic encoder. */
function referenceAd(index: number, keyId: Uint8Array, generation: number, clear: Dcbor[]): Uint8Array {
  const position = Buffer.alloc(8);
  writeUint64(position, 0, index);
  return Buffer.concat([Buffer.from('sealtrail record v2\u0000', 'latin1'), position, encodeDcbor([keyId, generation, clear])]);
}

function referenceParts(fields: readonly StoredRecordField[]): { clear: Dcbor[]; secret: Dcbor[] } {
  const clear: Dcbor[] = fields.map((f) =>
    'erasureIndex' in f ? [f.name, f.commitment, f.erasureIndex] : [f.name, f.commitment ?? fieldCommitment(f.name, f.jcs, f.salt)],
  );
  const secret: Dcbor[] = fields.flatMap((f) => ('erasureIndex' in f ? [] : [[f.jcs, f.salt]]));
  return { clear, secret };
}

const open_ = (name: string, jcs: string, withCommitment = true): StoredRecordField => {
  const salt = new Uint8Array(randomBytes(16));
  return withCommitment ? { name, jcs, salt, commitment: fieldCommitment(name, jcs, salt) } : { name, jcs, salt };
};
const erased = (name: string, erasureIndex: number): StoredRecordField => ({ name, commitment: new Uint8Array(randomBytes(32)), erasureIndex });

const cases: [string, StoredRecordField[]][] = [
  ['one short field', [open_('a', '1')]],
  ['13 fields of a gateway record', [
    open_('timestamp', '"2026-11-23T12:00:00.000Z"'), open_('tenant_id', '"tenant-7"'), open_('user_id', '"user-42@example.com"'),
    open_('model', '"gpt-5.1"'), open_('model_version', '"2026-10-01"'), open_('provider', '"openai"'), open_('category', '"normal"'),
    open_('guardrails', '{"jailbreak":"pass","pii":"pass","toxicity":0.01}'), open_('tokens', '{"completion":128,"prompt":812}'),
    open_('cost_usd', '0.0123'), open_('prompt_sha256', `"${'a'.repeat(64)}"`), open_('response_sha256', `"${'b'.repeat(64)}"`),
    open_('notes', `"${'x'.repeat(560)}"`),
  ]],
  ['commitments not yet computed', [open_('x', '"y"', false), open_('z', 'null', false)]],
  ['erased and open fields mixed', [erased('gone', 7), open_('kept', '"v"'), erased('also gone', 70_000)]],
  ['every field erased', [erased('a', 0), erased('b', 2 ** 40)]],
  ['non-ASCII names and values, long ones', [open_('é'.repeat(200), `"${'😀'.repeat(3000)}"`), open_('名前', '"値"')]],
  ['24 fields (a two-byte array head)', Array.from({ length: 24 }, (_, i) => open_(`f${i}`, String(i)))],
];

describe('encodeSealedRecord', () => {
  for (const generation of [0, 23, 24, 300, 2 ** 32]) {
    for (const [what, fields] of cases) {
      it(`${what}, generation ${generation}: the deterministic encoding of [2, key_id, generation, sealed, clear]`, () => {
        const dataKey: DataKey = { keyId: new Uint8Array(randomBytes(32)), generation, key: new Uint8Array(randomBytes(32)) };
        const index = 1_234_567_890_123;
        // As a plain Uint8Array, so that byte strings decode as copies (LevelDB hands out Buffers).
        const value = new Uint8Array(encodeSealedRecord(index, fields, dataKey));
        const decoded = decodeDcbor(value, { maxDepth: 8 }) as Dcbor[];
        // Decoding is strict (shortest heads, sorted keys), and re-encoding gives the same bytes.
        expect(Buffer.from(encodeDcbor(decoded)).equals(Buffer.from(value))).toBe(true);
        const { clear, secret } = referenceParts(fields);
        const [layout, keyId, gen, sealed, storedClear] = decoded;
        expect(layout).toBe(2);
        expect(keyId).toEqual(dataKey.keyId);
        expect(gen).toBe(generation);
        expect(Buffer.from(encodeDcbor(storedClear!)).equals(Buffer.from(encodeDcbor(clear)))).toBe(true);
        const plaintext = open(dataKey.key, sealed as Uint8Array, referenceAd(index, dataKey.keyId, generation, clear));
        expect(plaintext).toBeDefined();
        expect(Buffer.from(plaintext!).equals(Buffer.from(encodeDcbor(secret)))).toBe(true);
        // …and not under the associated data of another entry.
        expect(open(dataKey.key, sealed as Uint8Array, referenceAd(index + 1, dataKey.keyId, generation, clear))).toBeUndefined();
      });
    }
  }

  it('draws a fresh nonce for every record', () => {
    const dataKey: DataKey = { keyId: new Uint8Array(32), generation: 0, key: new Uint8Array(randomBytes(32)) };
    const fields = [open_('a', '1')];
    const nonces = new Set<string>();
    // More than one refill of the nonce pool (341 nonces).
    for (let i = 0; i < 1000; i++) {
      const sealed = (decodeDcbor(encodeSealedRecord(0, fields, dataKey)) as Dcbor[])[3] as Uint8Array;
      nonces.add(Buffer.from(sealed.subarray(0, NONCE_BYTES)).toString('hex'));
    }
    expect(nonces.size).toBe(1000);
  });
});

describe('seal', () => {
  it('opens under the same key and associated data only', () => {
    const key = new Uint8Array(randomBytes(32));
    const ad = new Uint8Array(randomBytes(40));
    const plaintext = new Uint8Array(randomBytes(1000));
    const sealed = seal(key, plaintext, ad);
    expect(sealed.length).toBe(12 + 1000 + 16);
    expect(open(key, sealed, ad)).toEqual(plaintext);
    expect(open(key, sealed, ad.subarray(1))).toBeUndefined();
    expect(open(new Uint8Array(32), sealed, ad)).toBeUndefined();
  });
});
