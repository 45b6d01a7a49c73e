/**
 * tlog-cosignature v1.0.1 (PROTOCOL §7): witness keys, cosignature lines, and their verification,
 * cross-checked against node:crypto with the message built by hand from the spec.
 */
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { signCheckpoint } from './checkpoint.js';
import {
  SIGNATURE_TYPE_COSIGNATURE,
  cosignatureTimestamp,
  cosignerFromSeed,
  generateCosignerKey,
  parseCosignerKey,
  parseSignerKey,
  parseVerifierKey,
} from './keys.js';
import { addSignatures, openNote } from './note.js';
import { NoteError } from './errors.js';

const seed = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);
const LOG = parseSignerKey('PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz');
const checkpointNote = signCheckpoint({ origin: 'PeterNeumann', size: 5, rootHash: new Uint8Array(32).fill(7), extensions: [] }, LOG);
const checkpointText = checkpointNote.slice(0, checkpointNote.indexOf('\n\n') + 1);

describe('witness keys', () => {
  test('generate, parse, and derive the key ID over type 0x04', () => {
    const { signerKey, verifierKey } = generateCosignerKey('witness.example/w1', () => seed(9));
    const cosigner = parseCosignerKey(signerKey);
    const verifier = parseVerifierKey(verifierKey);
    expect(verifier.type).toBe(SIGNATURE_TYPE_COSIGNATURE);
    expect(verifier.keyId).toEqual(cosigner.keyId);
    const expectedId = createHash('sha256')
      .update(Buffer.concat([Buffer.from('witness.example/w1\n'), Buffer.of(4), cosigner.publicKey]))
      .digest()
      .subarray(0, 4);
    expect(Buffer.from(cosigner.keyId)).toEqual(expectedId);
    expect(verifierKey).toBe(`witness.example/w1+${expectedId.toString('hex')}+${Buffer.concat([Buffer.of(4), cosigner.publicKey]).toString('base64')}`);
  });

  test('a log key (type 0x01) is not a witness key, and a witness key is not a log key', () => {
    const { signerKey } = generateCosignerKey('w', () => seed(1));
    expect(() => parseCosignerKey('PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz')).toThrow(NoteError);
    expect(() => parseSignerKey(signerKey)).toThrow(NoteError);
  });
});

describe('cosignatures', () => {
  const cosigner = cosignerFromSeed('witness.example/w1', seed(3));
  const { verifierKey } = generateCosignerKey('witness.example/w1', () => seed(3));

  test('the line is key ID || uint64 BE timestamp || Ed25519 over "cosignature/v1\\ntime T\\n" + checkpoint', () => {
    const line = cosigner.cosign(checkpointText, 1_763_900_000);
    const m = /^\u2014 witness\.example\/w1 ([A-Za-z0-9+/=]+)\n$/.exec(line);
    expect(m).not.toBeNull();
    const bytes = Buffer.from(m![1]!, 'base64');
    expect(bytes.length).toBe(4 + 8 + 64);
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from(cosigner.keyId));
    expect(bytes.readBigUInt64BE(4)).toBe(1_763_900_000n);
    const message = Buffer.from(`cosignature/v1\ntime 1763900000\n${checkpointText}`);
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(cosigner.publicKey).toString('base64url') }, format: 'jwk' });
    expect(nodeVerify(null, message, publicKey, bytes.subarray(12))).toBe(true);
    expect(cosignatureTimestamp(bytes.subarray(4))).toBe(1_763_900_000);
  });

  test('verifies with nothing but the witness verifier key, beside the log signature', () => {
    const cosigned = addSignatures(checkpointNote, [cosigner.cosign(checkpointText, 1_763_900_000)]);
    const opened = openNote(cosigned, [parseVerifierKey(verifierKey)]);
    expect(opened.verified.map((s) => s.name)).toEqual(['witness.example/w1']);
    expect(opened.signatures).toHaveLength(2);
  });

  test('fails for another checkpoint, another timestamp, or any flipped bit', () => {
    const line = cosigner.cosign(checkpointText, 1_763_900_000);
    const other = checkpointText.replace('\n5\n', '\n6\n');
    const verifier = parseVerifierKey(verifierKey);
    expect(() => openNote(`${other}\n${line}`, [verifier])).toThrow(/does not verify/);
    const bytes = Buffer.from(line.split(' ')[2]!.trim(), 'base64');
    for (let bit = 32; bit < bytes.length * 8; bit += 7) {
      const flipped = Buffer.from(bytes);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(verifier.verify(Buffer.from(checkpointText), flipped.subarray(4))).toBe(false);
    }
    expect(verifier.verify(Buffer.from(checkpointText), bytes.subarray(4))).toBe(true);
  });
});
