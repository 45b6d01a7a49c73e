import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toBase64 } from '../util/bytes.js';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hasher.js';

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const bytes = (length: number, seed = 1): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

describe('RFC 6962 §2.1 hashing', () => {
  it('the empty tree hashes to SHA-256 of nothing (PROTOCOL §1)', () => {
    expect(toBase64(EMPTY_ROOT)).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });

  it('a leaf hash is SHA-256(0x00 || leaf input), for any input length', () => {
    // Around the internal scratch buffer's size (1024 bytes of input) and far beyond it.
    for (const length of [0, 1, 32, 90, 1023, 1024, 1025, 70_000]) {
      const input = bytes(length);
      expect(hashLeaf(input)).toEqual(sha256(Uint8Array.of(0), input));
    }
  });

  it('the empty leaf input hashes to the known value from the vectors', () => {
    expect(toBase64(hashLeaf(new Uint8Array(0)))).toBe('bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=');
  });

  it('a node hash is SHA-256(0x01 || left || right), and order matters', () => {
    const left = sha256(bytes(3));
    const right = sha256(bytes(4));
    expect(hashChildren(left, right)).toEqual(sha256(Uint8Array.of(1), left, right));
    expect(hashChildren(right, left)).not.toEqual(hashChildren(left, right));
  });

  it('returns independent results although it reuses buffers internally', () => {
    const a = hashLeaf(bytes(10, 1));
    const b = hashLeaf(bytes(10, 2));
    const ab = hashChildren(a, b);
    const ba = hashChildren(b, a);
    expect(a).toEqual(sha256(Uint8Array.of(0), bytes(10, 1)));
    expect(ab).toEqual(sha256(Uint8Array.of(1), a, b));
    expect(ba).toEqual(sha256(Uint8Array.of(1), b, a));
  });

  it('a leaf never hashes like a node with the same bytes (domain separation)', () => {
    const left = sha256(bytes(1));
    const right = sha256(bytes(2));
    const concatenated = new Uint8Array([...left, ...right]);
    expect(hashLeaf(concatenated)).not.toEqual(hashChildren(left, right));
  });

  it('checks its arguments: a TypeError for a wrong type, a RangeError for a wrong length', () => {
    const h = sha256(bytes(1));
    expect(() => hashLeaf('abc' as unknown as Uint8Array)).toThrow(new TypeError('leafInput must be a Uint8Array'));
    expect(() => hashChildren(h, new Uint8Array(31))).toThrow(new RangeError('right must be 32 bytes, got 31'));
    expect(() => hashChildren(new Uint8Array(33), h)).toThrow(new RangeError('left must be 32 bytes, got 33'));
    expect(() => hashChildren([...h] as unknown as Uint8Array, h)).toThrow(TypeError);
  });
});
