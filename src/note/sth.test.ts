import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { NoteError } from './errors.js';
import { formatVerifierKey, parseSignerKey, parseVerifierKey } from './keys.js';
import {
  decodeDigitallySigned,
  encodeDigitallySigned,
  signTreeHead,
  treeHeadSignatureInput,
  verifyTreeHead,
} from './sth.js';

const PETER_SIGNER_KEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VERIFIER_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SEED = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
const peterSigner = parseSignerKey(PETER_SIGNER_KEY);
const peter = parseVerifierKey(PETER_VERIFIER_KEY);

const ROOT = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
const ROOT_HEX = 'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('treeHeadSignatureInput (RFC 6962 §3.5)', () => {
  test('lays out version, signature type, timestamp, tree size and root, big-endian', () => {
    const input = treeHeadSignatureInput(0x0001_0203_0405_0607, 0xdead_beef, ROOT);
    expect(input).toHaveLength(50);
    expect(hex(input)).toBe(
      '00' + // version v1
        '01' + // signature_type tree_hash
        '0001020304050607' + // uint64 timestamp
        '00000000deadbeef' + // uint64 tree_size
        ROOT_HEX,
    );
  });

  test('a realistic timestamp and the extremes', () => {
    // 1763900000000 ms = 0x019AB0A20700.
    expect(hex(treeHeadSignatureInput(1763900000000, 0, ROOT)).slice(4, 36)).toBe('0000019ab0a20700' + '0000000000000000');
    expect(hex(treeHeadSignatureInput(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, ROOT)).slice(4, 36)).toBe(
      '001fffffffffffff' + '001fffffffffffff',
    );
  });

  test('refuses values that are not uint64 sizes and roots that are not 32 bytes', () => {
    expect(() => treeHeadSignatureInput(-1, 0, ROOT)).toThrow(RangeError);
    expect(() => treeHeadSignatureInput(0, -1, ROOT)).toThrow(RangeError);
    expect(() => treeHeadSignatureInput(1.5, 0, ROOT)).toThrow(TypeError);
    expect(() => treeHeadSignatureInput(0, 2 ** 53, ROOT)).toThrow(TypeError);
    expect(() => treeHeadSignatureInput(0, 0, ROOT.subarray(1))).toThrow(/rootHash must be 32 bytes/);
  });
});

describe('DigitallySigned', () => {
  test('is 0x08 0x07, a uint16 length and the signature', () => {
    const signature = Uint8Array.from({ length: 64 }, (_, i) => i);
    const encoded = encodeDigitallySigned(signature);
    expect(hex(encoded.subarray(0, 4))).toBe('08070040');
    expect(encoded.subarray(4)).toEqual(signature);
    expect(hex(encodeDigitallySigned(new Uint8Array(300)).subarray(0, 4))).toBe('0807012c');
    expect(hex(encodeDigitallySigned(new Uint8Array(0)))).toBe('08070000');
    expect(encodeDigitallySigned(new Uint8Array(0xffff))).toHaveLength(0xffff + 4);
    expect(() => encodeDigitallySigned(new Uint8Array(0x10000))).toThrow(RangeError);
  });

  test('decodes what it encodes and refuses anything else', () => {
    const signature = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
    const encoded = encodeDigitallySigned(signature);
    expect(decodeDigitallySigned(encoded)).toEqual(signature);
    const refused = [
      encoded.subarray(0, 3),
      encoded.subarray(0, 67),
      Buffer.concat([encoded, Buffer.of(0)]),
      Buffer.concat([Buffer.of(0x04), encoded.subarray(1)]), // sha256
      Buffer.concat([Buffer.of(0x08, 0x03), encoded.subarray(2)]), // ecdsa
    ];
    for (const bytes of refused) {
      expect(() => decodeDigitallySigned(bytes)).toThrow(NoteError);
    }
  });
});

describe('signTreeHead and verifyTreeHead', () => {
  const timestamp = 1763900000000;
  const size = 41;

  test('the signature is Ed25519 over the 50-byte struct, equal to OpenSSL and verified by it', () => {
    const signed = signTreeHead(peterSigner, timestamp, size, ROOT);
    const input = treeHeadSignatureInput(timestamp, size, ROOT);
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), PETER_SEED]);
    const expected = nodeSign(null, input, createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
    expect(Buffer.from(signed)).toEqual(Buffer.concat([Buffer.from('08070040', 'hex'), expected]));
    const x = Buffer.from(peter.publicKey).toString('base64url');
    expect(nodeVerify(null, input, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }), signed.subarray(4))).toBe(true);
    expect(verifyTreeHead(peter, timestamp, size, ROOT, signed)).toBe(true);
  });

  test('fails for another timestamp, size or root', () => {
    const signed = signTreeHead(peterSigner, timestamp, size, ROOT);
    expect(verifyTreeHead(peter, timestamp + 1, size, ROOT, signed)).toBe(false);
    expect(verifyTreeHead(peter, timestamp, size + 1, ROOT, signed)).toBe(false);
    const otherRoot = Uint8Array.from(ROOT);
    otherRoot[31]! ^= 1;
    expect(verifyTreeHead(peter, timestamp, size, otherRoot, signed)).toBe(false);
  });

  test('fails for every flipped bit of the DigitallySigned, and for a truncated one', () => {
    const signed = signTreeHead(peterSigner, timestamp, size, ROOT);
    for (let i = 0; i < signed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const mutated = Uint8Array.from(signed);
        mutated[i]! ^= 1 << bit;
        expect(verifyTreeHead(peter, timestamp, size, ROOT, mutated)).toBe(false);
      }
    }
    expect(verifyTreeHead(peter, timestamp, size, ROOT, signed.subarray(0, 2))).toBe(false);
  });

  test('needs an Ed25519 (type 0x01) verifier', () => {
    const cosigner = parseVerifierKey(formatVerifierKey('PeterNeumann', 4, peter.publicKey));
    const signed = signTreeHead(peterSigner, timestamp, size, ROOT);
    expect(() => verifyTreeHead(cosigner, timestamp, size, ROOT, signed)).toThrow(/type 0x01/);
  });
});
