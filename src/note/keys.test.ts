import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { NoteError } from './errors.js';
import {
  SIGNATURE_TYPE_COSIGNATURE,
  SIGNATURE_TYPE_ED25519,
  formatVerifierKey,
  generateSignerKey,
  keyId,
  logId,
  parseSignerKey,
  parseVerifierKey,
  signerFromSeed,
  verifierFromPublicKey,
} from './keys.js';

// PROTOCOL §3 known-answer keys (golang.org/x/mod sumdb/note).
const PETER_SIGNER_KEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VERIFIER_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SEED = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
const PETER_PUBLIC_KEY = Buffer.from('ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'base64').subarray(1);

// A second Ed25519 implementation to cross-check against: OpenSSL through node:crypto.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
function nodePrivateKey(seed: Uint8Array) {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}
function nodePublicKey(publicKey: Uint8Array) {
  const x = Buffer.from(publicKey).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}
function nodePublicKeyOfSeed(seed: Uint8Array): Uint8Array {
  const jwk = createPublicKey(nodePrivateKey(seed)).export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url');
}
function naiveKeyId(name: string, key: Uint8Array): string {
  // signed-note: SHA-256(name || "\n" || type || public key)[:4], here with the type inside `key`.
  return createHash('sha256').update(name).update('\n').update(key).digest().subarray(0, 4).toString('hex');
}
function withType(type: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(type), bytes]);
}
/** A verifier key whose key ID is right for whatever (possibly wrong) key material it holds. */
function consistentVerifierKey(name: string, key: Uint8Array): string {
  return `${name}+${naiveKeyId(name, key)}+${Buffer.from(key).toString('base64')}`;
}

/** Sets the unused low bits of the last base64 character before a single "=". */
function withNonzeroPaddingBits(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const last = text.length - 2;
  const changed = alphabet[alphabet.indexOf(text[last]!) | 1]!;
  return text.slice(0, last) + changed + '=';
}

function noteErrorOf(run: () => unknown): NoteError {
  try {
    run();
  } catch (error) {
    if (error instanceof NoteError) return error;
    throw error;
  }
  throw new Error('expected a NoteError, nothing was thrown');
}

function sequenceBytes(start: number): (length: number) => Uint8Array {
  return (length) => Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

describe('keyId', () => {
  test('is the first 4 bytes of SHA-256(name || 0x0A || type || public key)', () => {
    expect(Buffer.from(keyId('PeterNeumann', 1, PETER_PUBLIC_KEY)).toString('hex')).toBe('c74f20a3');
    expect(Buffer.from(keyId('PeterNeumann', 4, PETER_PUBLIC_KEY)).toString('hex')).toBe(
      naiveKeyId('PeterNeumann', withType(4, PETER_PUBLIC_KEY)),
    );
    expect(Buffer.from(keyId('Ünïcødé/name', 1, PETER_PUBLIC_KEY)).toString('hex')).toBe(
      naiveKeyId('Ünïcødé/name', withType(1, PETER_PUBLIC_KEY)),
    );
  });

  test('the signature type separates keys with the same name and public key', () => {
    expect(keyId('PeterNeumann', 1, PETER_PUBLIC_KEY)).not.toEqual(keyId('PeterNeumann', 4, PETER_PUBLIC_KEY));
  });

  test('refuses a type that is not a byte', () => {
    expect(() => keyId('a', 256, PETER_PUBLIC_KEY)).toThrow(RangeError);
    expect(() => keyId('a', -1, PETER_PUBLIC_KEY)).toThrow(RangeError);
    expect(() => keyId('a', 1.5, PETER_PUBLIC_KEY)).toThrow(RangeError);
  });
});

describe('the PROTOCOL §3 known-answer keys', () => {
  test('the signer key parses to PeterNeumann, key ID c74f20a3, and the verifier key public key', () => {
    const signer = parseSignerKey(PETER_SIGNER_KEY);
    expect(signer.name).toBe('PeterNeumann');
    expect(Buffer.from(signer.keyId).toString('hex')).toBe('c74f20a3');
    expect(Buffer.from(signer.publicKey)).toEqual(PETER_PUBLIC_KEY);
    expect(Buffer.from(signer.publicKey)).toEqual(Buffer.from(nodePublicKeyOfSeed(PETER_SEED)));
  });

  test('the verifier key parses and formats back to the same text', () => {
    const verifier = parseVerifierKey(PETER_VERIFIER_KEY);
    expect(verifier.name).toBe('PeterNeumann');
    expect(verifier.type).toBe(SIGNATURE_TYPE_ED25519);
    expect(Buffer.from(verifier.keyId).toString('hex')).toBe('c74f20a3');
    expect(formatVerifierKey(verifier.name, verifier.type, verifier.publicKey)).toBe(PETER_VERIFIER_KEY);
  });

  test('signatures equal OpenSSL byte for byte (Ed25519 is deterministic) and verify both ways', () => {
    const signer = parseSignerKey(PETER_SIGNER_KEY);
    const verifier = parseVerifierKey(PETER_VERIFIER_KEY);
    for (const message of ['', 'hi', 'x'.repeat(1000)].map((m) => Buffer.from(m))) {
      const ours = signer.sign(message);
      const theirs = nodeSign(null, message, nodePrivateKey(PETER_SEED));
      expect(Buffer.from(ours)).toEqual(theirs);
      expect(nodeVerify(null, message, nodePublicKey(PETER_PUBLIC_KEY), ours)).toBe(true);
      expect(verifier.verify(message, theirs)).toBe(true);
    }
  });

  test('an uppercase key ID is read as Go reads it, and formatted lowercase', () => {
    const verifier = parseVerifierKey(PETER_VERIFIER_KEY.replace('c74f20a3', 'C74F20A3'));
    expect(formatVerifierKey(verifier.name, 1, verifier.publicKey)).toBe(PETER_VERIFIER_KEY);
    expect(parseSignerKey(PETER_SIGNER_KEY.replace('c74f20a3', 'C74f20A3')).name).toBe('PeterNeumann');
  });
});

describe('verify', () => {
  const signer = parseSignerKey(PETER_SIGNER_KEY);
  const verifier = parseVerifierKey(PETER_VERIFIER_KEY);
  const message = Buffer.from('hi');
  const signature = signer.sign(message);

  test('fails for a corrupted signature, a corrupted message and a wrong length', () => {
    expect(verifier.verify(message, signature)).toBe(true);
    const bad = Uint8Array.from(signature);
    bad[0]! ^= 1;
    expect(verifier.verify(message, bad)).toBe(false);
    expect(verifier.verify(Buffer.from('hj'), signature)).toBe(false);
    expect(verifier.verify(message, signature.subarray(0, 63))).toBe(false);
    expect(verifier.verify(message, Buffer.concat([signature, Buffer.of(0)]))).toBe(false);
  });

  test('refuses the malleated signature (R, S + L) that has the same value', () => {
    // RFC 8032 §5.1.7: S must be below the group order L; a lax verifier would accept S + L.
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i]!);
    let t = s + L;
    const malleated = Uint8Array.from(signature);
    for (let i = 0; i < 32; i++) {
      malleated[32 + i] = Number(t & 0xffn);
      t >>= 8n;
    }
    expect(verifier.verify(message, malleated)).toBe(false);
    expect(nodeVerify(null, message, nodePublicKey(PETER_PUBLIC_KEY), malleated)).toBe(false);
  });

  test('refuses R written as a non-canonical encoding (ZIP-215 would accept it)', () => {
    // With R = the identity point, S = k·a mod L satisfies [S]B = R + [k]A, where a is the secret
    // scalar and k = SHA-512(R || A || M) (RFC 8032 §5.1.6). The identity is y = 1; y = 1 + p
    // encodes the same point, but RFC 8032 §5.1.3 refuses y >= p.
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    const littleEndian = (bytes: Uint8Array) => bytes.reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);
    const toLittleEndian = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
    const h = createHash('sha512').update(PETER_SEED).digest();
    h[0]! &= 248;
    h[31]! &= 127;
    h[31]! |= 64;
    const a = littleEndian(h.subarray(0, 32));
    const forge = (R: Uint8Array) => {
      const k = littleEndian(createHash('sha512').update(R).update(PETER_PUBLIC_KEY).update(message).digest()) % L;
      return Buffer.concat([R, toLittleEndian((k * a) % L)]);
    };
    const canonical = forge(toLittleEndian(1n));
    const nonCanonical = forge(toLittleEndian((1n << 255n) - 19n + 1n));
    // The construction is right: with the canonical encoding both implementations accept it.
    expect(verifier.verify(message, canonical)).toBe(true);
    expect(nodeVerify(null, message, nodePublicKey(PETER_PUBLIC_KEY), canonical)).toBe(true);
    expect(verifier.verify(message, nonCanonical)).toBe(false);
  });
});

describe('generateSignerKey', () => {
  test('makes keys that parse, agree with each other and with OpenSSL', () => {
    const requested: number[] = [];
    const { signerKey, verifierKey } = generateSignerKey('example.com/log', (n) => {
      requested.push(n);
      return sequenceBytes(7)(n);
    });
    expect(requested).toEqual([32]);
    const seed = sequenceBytes(7)(32);
    const publicKey = nodePublicKeyOfSeed(seed);
    const id = naiveKeyId('example.com/log', withType(1, publicKey));
    expect(signerKey).toBe(`PRIVATE+KEY+example.com/log+${id}+${withType(1, seed).toString('base64')}`);
    expect(verifierKey).toBe(`example.com/log+${id}+${withType(1, publicKey).toString('base64')}`);

    const signer = parseSignerKey(signerKey);
    const verifier = parseVerifierKey(verifierKey);
    expect(signer.keyId).toEqual(verifier.keyId);
    const message = Buffer.from('checkpoint\n');
    expect(verifier.verify(message, signer.sign(message))).toBe(true);
  });

  test('different random bytes give different keys', () => {
    const a = generateSignerKey('n', sequenceBytes(1));
    const b = generateSignerKey('n', sequenceBytes(2));
    expect(a.verifierKey).not.toBe(b.verifierKey);
  });

  test('refuses a bad name and a random source that returns the wrong length', () => {
    expect(noteErrorOf(() => generateSignerKey('bad name', sequenceBytes(0))).reason).toBe('badKey');
    expect(() => generateSignerKey('n', () => new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('signerFromSeed and verifierFromPublicKey', () => {
  test('build the same keys as the text encodings', () => {
    const signer = signerFromSeed('PeterNeumann', PETER_SEED);
    expect(Buffer.from(signer.keyId).toString('hex')).toBe('c74f20a3');
    const verifier = verifierFromPublicKey('PeterNeumann', 1, PETER_PUBLIC_KEY);
    expect(verifier.verify(Buffer.from('x'), signer.sign(Buffer.from('x')))).toBe(true);
  });

  test('the signer keeps its own copy of the seed and does not show it', () => {
    const seed = Uint8Array.from(PETER_SEED);
    const signer = signerFromSeed('PeterNeumann', seed);
    seed.fill(0);
    expect(Buffer.from(signer.sign(Buffer.from('x')))).toEqual(nodeSign(null, Buffer.from('x'), nodePrivateKey(PETER_SEED)));
    expect(JSON.stringify(signer)).not.toContain(Buffer.from(PETER_SEED).toString('hex'));
    expect(Object.values(signer).some((v) => v instanceof Uint8Array && Buffer.from(v).equals(PETER_SEED))).toBe(false);
  });
});

describe('cosignature (type 0x04) verifier keys, PROTOCOL §7', () => {
  const name = 'witness.example/w1';
  const text = formatVerifierKey(name, SIGNATURE_TYPE_COSIGNATURE, PETER_PUBLIC_KEY);

  test('format and parse with the key ID over type 0x04', () => {
    expect(text).toBe(`${name}+${naiveKeyId(name, withType(4, PETER_PUBLIC_KEY))}+${withType(4, PETER_PUBLIC_KEY).toString('base64')}`);
    const verifier = parseVerifierKey(text);
    expect(verifier.type).toBe(4);
    expect(Buffer.from(verifier.keyId).toString('hex')).toBe(naiveKeyId(name, withType(4, PETER_PUBLIC_KEY)));
    expect(verifier.keyId).not.toEqual(keyId(name, 1, PETER_PUBLIC_KEY));
  });

  test('a wrong-length cosignature does not verify', () => {
    const verifier = parseVerifierKey(text);
    expect(verifier.verify(Buffer.from('x'), new Uint8Array(72))).toBe(false);
    expect(verifier.verify(Buffer.from('x'), new Uint8Array(64))).toBe(false);
  });

  test('a type 0x04 key ID does not pass for a type 0x01 key', () => {
    const mixed = `${name}+${naiveKeyId(name, withType(4, PETER_PUBLIC_KEY))}+${withType(1, PETER_PUBLIC_KEY).toString('base64')}`;
    expect(noteErrorOf(() => parseVerifierKey(mixed)).message).toMatch(/does not match the key ID derived/);
  });
});

describe('logId', () => {
  test('is SHA-256 of the DER SubjectPublicKeyInfo, as OpenSSL exports it', () => {
    const spki = nodePublicKey(PETER_PUBLIC_KEY).export({ type: 'spki', format: 'der' });
    const expected = createHash('sha256').update(spki).digest();
    expect(Buffer.from(logId(PETER_PUBLIC_KEY))).toEqual(expected);
  });

  test('refuses a public key that is not 32 bytes', () => {
    expect(() => logId(new Uint8Array(31))).toThrow(RangeError);
    expect(() => logId('key' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('parseVerifierKey refuses', () => {
  test('every proper substring and every one-character change of the known key', () => {
    const failures: string[] = [];
    const check = (candidate: string) => {
      try {
        parseVerifierKey(candidate);
        failures.push(candidate);
      } catch (error) {
        if (!(error instanceof NoteError) || error.reason !== 'badKey') throw error;
      }
    };
    const key = PETER_VERIFIER_KEY;
    for (let start = 0; start < key.length; start++) {
      for (let end = start + 1; end <= key.length; end++) {
        if (start !== 0 || end !== key.length) check(key.slice(start, end));
      }
    }
    for (let i = 0; i < key.length; i++) {
      check(key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1));
    }
    expect(failures).toEqual([]);
  });

  const cases: Array<[string, string, RegExp]> = [
    ['a wrong key ID', PETER_VERIFIER_KEY.replace('c74f20a3', 'c74f20a4'), /key ID c74f20a4 .* does not match .* \(c74f20a3\)/],
    ['a key ID of 7 hex digits', PETER_VERIFIER_KEY.replace('c74f20a3', 'c74f20a'), /not 8 hex digits/],
    ['a key ID of 9 hex digits', PETER_VERIFIER_KEY.replace('c74f20a3', '0c74f20a3'), /not 8 hex digits/],
    ['a key ID with a sign', PETER_VERIFIER_KEY.replace('c74f20a3', '-74f20a3'), /not 8 hex digits/],
    ['extra padding', PETER_VERIFIER_KEY + '=', /not valid padded standard base64/],
    ['missing padding', consistentVerifierKey('n', withType(1, PETER_PUBLIC_KEY.subarray(1))).slice(0, -1), /not valid padded/],
    ['base64 with nonzero padding bits', withNonzeroPaddingBits(consistentVerifierKey('n', withType(1, PETER_PUBLIC_KEY.subarray(1)))), /not valid padded/],
    ['URL-safe base64', 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW', /base64/],
    ['empty key material', 'PeterNeumann+c74f20a3+', /empty/],
    ['no "+" at all', 'PeterNeumann', /three "\+"-separated parts/],
    ['type 0x02 (ECDSA)', consistentVerifierKey('PeterNeumann', withType(2, PETER_PUBLIC_KEY)), /unknown key type 0x02; accepted: 0x01/],
    ['type 0x00', consistentVerifierKey('PeterNeumann', withType(0, PETER_PUBLIC_KEY)), /unknown key type 0x00/],
    ['a 31-byte public key', consistentVerifierKey('PeterNeumann', withType(1, PETER_PUBLIC_KEY.subarray(1))), /31 bytes/],
    ['a 33-byte public key', consistentVerifierKey('PeterNeumann', withType(1, Buffer.concat([PETER_PUBLIC_KEY, Buffer.of(0)]))), /33 bytes/],
    // y = 2 gives x² = (y² − 1)/(d·y² + 1), which is not a square mod p: no such point.
    ['bytes that encode no curve point', consistentVerifierKey('n', withType(1, Buffer.concat([Buffer.of(2), Buffer.alloc(31)]))), /not a canonical encoding/],
    ['the identity point (small order)', consistentVerifierKey('n', withType(1, Buffer.concat([Buffer.of(1), Buffer.alloc(31)]))), /small order/],
    ['an empty name', consistentVerifierKey('', withType(1, PETER_PUBLIC_KEY)), /name is empty/],
    ['a name with a space', consistentVerifierKey('Peter Neumann', withType(1, PETER_PUBLIC_KEY)), /space U\+0020/],
    ['a name with a no-break space', consistentVerifierKey('Peter\u00a0Neumann', withType(1, PETER_PUBLIC_KEY)), /space U\+00A0/],
    ['a name with an ideographic space', consistentVerifierKey('Peter\u3000Neumann', withType(1, PETER_PUBLIC_KEY)), /space U\+3000/],
    ['a name with a tab', consistentVerifierKey('Peter\tNeumann', withType(1, PETER_PUBLIC_KEY)), /U\+0009/],
    ['a name with a control character', consistentVerifierKey('Peter\u0001', withType(1, PETER_PUBLIC_KEY)), /control character U\+0001/],
    ['a name with an unpaired surrogate', 'Peter\ud800+00000000+' + withType(1, PETER_PUBLIC_KEY).toString('base64'), /unpaired surrogate/],
  ];
  test.each(cases)('%s', (_, text, message) => {
    const error = noteErrorOf(() => parseVerifierKey(text));
    expect(error.reason).toBe('badKey');
    expect(error.message).toMatch(message);
  });

  test('a non-string with a TypeError', () => {
    expect(() => parseVerifierKey(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('parseSignerKey refuses', () => {
  test('every proper substring and every one-character change of the known key', () => {
    const failures: string[] = [];
    const check = (candidate: string) => {
      try {
        parseSignerKey(candidate);
        failures.push(candidate);
      } catch (error) {
        if (!(error instanceof NoteError) || error.reason !== 'badKey') throw error;
      }
    };
    const key = PETER_SIGNER_KEY;
    for (let start = 0; start < key.length; start++) {
      for (let end = start + 1; end <= key.length; end++) {
        if (start !== 0 || end !== key.length) check(key.slice(start, end));
      }
    }
    for (let i = 0; i < key.length; i++) {
      check(key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1));
    }
    expect(failures).toEqual([]);
  });

  const seed64 = withType(1, PETER_SEED).toString('base64');
  const cases: Array<[string, string, RegExp]> = [
    ['a wrong key ID', PETER_SIGNER_KEY.replace('c74f20a3', '00000000'), /key ID 00000000 of PeterNeumann does not match/],
    ['a missing PRIVATE+KEY prefix', PETER_SIGNER_KEY.slice('PRIVATE+KEY+'.length), /does not start with PRIVATE\+KEY\+/],
    ['a lowercase prefix', PETER_SIGNER_KEY.replace('PRIVATE+KEY', 'private+key'), /does not start with/],
    ['type 0x04', `PRIVATE+KEY+PeterNeumann+c74f20a3+${withType(4, PETER_SEED).toString('base64')}`, /type byte 0x04; signer keys must be 0x01/],
    ['a 31-byte seed', `PRIVATE+KEY+PeterNeumann+c74f20a3+${withType(1, PETER_SEED.subarray(1)).toString('base64')}`, /seed of PeterNeumann is 31 bytes/],
    ['bad base64', `PRIVATE+KEY+PeterNeumann+c74f20a3+${seed64.slice(0, -1)}`, /not valid padded standard base64/],
    ['a bad name', `PRIVATE+KEY+Peter Neumann+c74f20a3+${seed64}`, /space/],
  ];
  test.each(cases)('%s, without repeating the seed', (_, text, message) => {
    const error = noteErrorOf(() => parseSignerKey(text));
    expect(error.reason).toBe('badKey');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(seed64.slice(4, 40));
  });
});

describe('formatVerifierKey refuses', () => {
  test('an unknown type, a bad name and a wrong-length key', () => {
    expect(noteErrorOf(() => formatVerifierKey('n', 2, PETER_PUBLIC_KEY)).reason).toBe('badKey');
    expect(noteErrorOf(() => formatVerifierKey('a+b', 1, PETER_PUBLIC_KEY)).message).toMatch(/contains "\+"/);
    expect(() => formatVerifierKey('n', 1, new Uint8Array(33))).toThrow(RangeError);
  });
});
