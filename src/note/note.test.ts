import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { NoteError, type NoteErrorReason } from './errors.js';
import { generateSignerKey, parseSignerKey, parseVerifierKey, type NoteVerifier } from './keys.js';
import { MAX_SIGNATURES, addSignatures, openNote, signNote } from './note.js';

// PROTOCOL §3 known answer (golang.org/x/mod sumdb/note).
const PETER_SIGNER_KEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VERIFIER_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_LINE =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=';
const PETER_NOTE = `${TEXT}\n${PETER_LINE}\n`;

const peterSigner = parseSignerKey(PETER_SIGNER_KEY);
const peter = parseVerifierKey(PETER_VERIFIER_KEY);

function fixedBytes(fill: number): (n: number) => Uint8Array {
  return (n) => new Uint8Array(n).fill(fill);
}
const otherKeys = generateSignerKey('example.com/other', fixedBytes(9));
const otherSigner = parseSignerKey(otherKeys.signerKey);
const other = parseVerifierKey(otherKeys.verifierKey);

function noteErrorOf(run: () => unknown): NoteError {
  try {
    run();
  } catch (error) {
    if (error instanceof NoteError) return error;
    throw error;
  }
  throw new Error('expected a NoteError, nothing was thrown');
}
function expectNoteError(run: () => unknown, reason: NoteErrorReason, message?: RegExp): void {
  const error = noteErrorOf(run);
  expect(error.reason, error.message).toBe(reason);
  if (message) expect(error.message).toMatch(message);
}
function lineOf(note: string, index: number): string {
  const block = note.slice(note.lastIndexOf('\n\n') + 2);
  return block.split('\n')[index]!;
}
function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('the PROTOCOL §3 known answer', () => {
  test('signing gives the signature line byte for byte', () => {
    expect(signNote(TEXT, [peterSigner])).toBe(PETER_NOTE);
  });

  test('opening verifies it and splits text and signature', () => {
    const opened = openNote(PETER_NOTE, [peter]);
    expect(opened.text).toBe(TEXT);
    expect(opened.signatures).toHaveLength(1);
    expect(opened.verified).toEqual(opened.signatures);
    const [signature] = opened.verified;
    expect(signature!.name).toBe('PeterNeumann');
    expect(hex(signature!.keyId)).toBe('c74f20a3');
    expect(signature!.signature).toHaveLength(64);
    expect(signature!.line).toBe(PETER_LINE);
  });

  test('the signature verifies with OpenSSL over the text alone', () => {
    const { verified } = openNote(PETER_NOTE, [peter]);
    const x = Buffer.from(peter.publicKey).toString('base64url');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    expect(nodeVerify(null, Buffer.from(TEXT), key, verified[0]!.signature)).toBe(true);
  });

  test('a note given as UTF-8 bytes opens the same', () => {
    expect(openNote(Buffer.from(PETER_NOTE), [peter]).text).toBe(TEXT);
  });
});

describe('several signatures', () => {
  const both = signNote(TEXT, [peterSigner, otherSigner]);

  test('signature lines follow the signer order', () => {
    expect(lineOf(both, 0)).toBe(PETER_LINE);
    expect(lineOf(both, 1).startsWith('\u2014 example.com/other ')).toBe(true);
  });

  test('a signature by an unknown key is kept but not verified', () => {
    const opened = openNote(both, [peter]);
    expect(opened.signatures.map((s) => s.name)).toEqual(['PeterNeumann', 'example.com/other']);
    expect(opened.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
  });

  test('all known keys are verified', () => {
    expect(openNote(both, [other, peter]).verified.map((s) => s.name)).toEqual(['PeterNeumann', 'example.com/other']);
  });

  test('no verifiers, or only unrelated ones, is noKnownSignature', () => {
    expectNoteError(() => openNote(both, []), 'noKnownSignature', /known: none given; found: PeterNeumann\+c74f20a3/);
    const stranger = parseVerifierKey(generateSignerKey('stranger', fixedBytes(3)).verifierKey);
    expectNoteError(() => openNote(PETER_NOTE, [stranger]), 'noKnownSignature', /known: stranger\+/);
  });

  test('a signature sharing only the name, or only the key ID, with a known key is ignored', () => {
    // signed-note: "Verifiers MUST ignore signatures from unknown keys, even if they share a name or
    // ID (but not both) with a known key."
    const sameName = `\u2014 PeterNeumann ${Buffer.concat([Buffer.from('00000000', 'hex'), Buffer.alloc(64, 1)]).toString('base64')}`;
    const sameId = PETER_LINE.replace('PeterNeumann', 'PeterNeumann2');
    const note = `${TEXT}\n${sameName}\n${sameId}\n${PETER_LINE}\n`;
    const opened = openNote(note, [peter]);
    expect(opened.signatures).toHaveLength(3);
    expect(opened.verified.map((s) => s.line)).toEqual([PETER_LINE]);
    expectNoteError(() => openNote(`${TEXT}\n${sameName}\n${sameId}\n`, [peter]), 'noKnownSignature');
  });

  test('identical lines count once', () => {
    const opened = openNote(`${TEXT}\n${PETER_LINE}\n${PETER_LINE}\n${lineOf(both, 1)}\n${lineOf(both, 1)}\n`, [peter]);
    expect(opened.signatures).toHaveLength(2);
    expect(opened.verified).toHaveLength(1);
  });

  test('the same verifier object twice is fine; two different verifiers for one key are badKey', () => {
    expect(openNote(PETER_NOTE, [peter, peter]).verified).toHaveLength(1);
    const twin = parseVerifierKey(PETER_VERIFIER_KEY);
    expectNoteError(() => openNote(PETER_NOTE, [peter, twin]), 'badKey', /PeterNeumann with key ID c74f20a3/);
  });
});

describe('a known key whose signature fails is badSignature', () => {
  const forged = PETER_LINE.slice(0, 60) + 'ABCD' + PETER_LINE.slice(64);

  test('alone', () => {
    expectNoteError(() => openNote(`${TEXT}\n${forged}\n`, [peter]), 'badSignature', /PeterNeumann\+c74f20a3 does not verify/);
  });

  test('even when another known key verifies, before or after it', () => {
    const good = lineOf(signNote(TEXT, [otherSigner]), 0);
    expectNoteError(() => openNote(`${TEXT}\n${good}\n${forged}\n`, [peter, other]), 'badSignature');
    expectNoteError(() => openNote(`${TEXT}\n${forged}\n${good}\n`, [peter, other]), 'badSignature');
  });

  test('even when a valid signature by the same key is also present', () => {
    expectNoteError(() => openNote(`${TEXT}\n${PETER_LINE}\n${forged}\n`, [peter]), 'badSignature');
  });

  test('a signature of a different text', () => {
    const otherText = signNote('another text\n', [peterSigner]);
    expectNoteError(() => openNote(`${TEXT}\n${lineOf(otherText, 0)}\n`, [peter]), 'badSignature');
  });

  test('a too-short signature by a known key is a failed signature, not a malformed line', () => {
    const short = `\u2014 PeterNeumann ${Buffer.from('c74f20a3aabbcc', 'hex').toString('base64')}`;
    expectNoteError(() => openNote(`${TEXT}\n${short}\n`, [peter]), 'badSignature');
  });
});

describe('the text and the blank line', () => {
  test('the last blank line separates: the text may contain blank lines', () => {
    for (const text of ['a\n\nb\n', 'a\n\n\n', '\n', '\n\n', 'x\n\u2014 y z\n']) {
      const note = signNote(text, [peterSigner]);
      expect(openNote(note, [peter]).text).toBe(text);
    }
  });

  test('a blank line inside the signatures moves the split, so the signature no longer matches', () => {
    expectNoteError(() => openNote(`${TEXT}\n${PETER_LINE}\n\n${PETER_LINE}\n`, [peter]), 'badSignature');
  });

  test('Unicode text is signed as UTF-8', () => {
    const text = 'Ünïcødé — ✓ 𝄞\n';
    const opened = openNote(signNote(text, [peterSigner]), [peter]);
    expect(opened.text).toBe(text);
  });
});

describe('malformed notes', () => {
  const signature = PETER_LINE.slice(PETER_LINE.indexOf(' ', 2) + 1);
  const cases: Array<[string, string, RegExp]> = [
    ['the text alone', TEXT, /no blank line/],
    ['the text and a blank line, no signature', `${TEXT}\n`, /no signature lines/],
    ['the text, a blank line and an empty line', `${TEXT}\n\n`, /no signature lines/],
    ['a signature line without its newline', `${TEXT}\n${PETER_LINE}`, /does not end with a newline/],
    ['no blank line before the signature', `${TEXT}${PETER_LINE}\n`, /no blank line/],
    ['an empty note', '', /does not end with a newline/],
    ['a control character in the text', `\u0001${PETER_NOTE}`, /control character U\+0001 at index 0/],
    ['a tab in the text', `If\tyou${PETER_NOTE.slice(6)}`, /control character U\+0009/],
    ['CRLF line ends', PETER_NOTE.replaceAll('\n', '\r\n'), /control character U\+000D/],
    ['a NUL in a signature line', `${TEXT}\n${PETER_LINE}\u0000\n`, /control character U\+0000/],
    ['an unpaired surrogate', `\ud800${PETER_NOTE}`, /unpaired surrogate U\+D800/],
    ['a hyphen-minus instead of the em dash', `${TEXT}\n- PeterNeumann ${signature}\n`, /em dash \(U\+2014\) and a space/],
    ['an en dash instead of the em dash', `${TEXT}\n\u2013 PeterNeumann ${signature}\n`, /em dash/],
    ['no space after the em dash', `${TEXT}\n\u2014PeterNeumann ${signature}\n`, /em dash/],
    ['two spaces after the em dash (empty name)', `${TEXT}\n\u2014  PeterNeumann ${signature}\n`, /name is empty/],
    ['a line that is not a signature after one', `${PETER_NOTE}Unexpected line.\n`, /signature line 2 does not start/],
    ['a name with "+"', `${TEXT}\n\u2014 Peter+Neumann ${signature}\n`, /contains "\+"/],
    ['a name with a no-break space', `${TEXT}\n\u2014 Peter\u00a0Neumann ${signature}\n`, /space U\+00A0/],
    ['a name with a space (the rest is not base64)', `${TEXT}\n\u2014 Peter Neumann ${signature}\n`, /base64/],
    ['no signature after the name', `${TEXT}\n\u2014 PeterNeumann\n`, /no space between/],
    ['an empty signature', `${TEXT}\n\u2014 PeterNeumann \n`, /0 bytes/],
    ['unpadded base64', `${TEXT}\n\u2014 PeterNeumann ${signature.replace(/=$/, '')}\n`, /base64/],
    ['URL-safe base64', `${TEXT}\n\u2014 PeterNeumann ${signature.replace('/', '_')}\n`, /base64/],
    ['base64 with nonzero padding bits', `${TEXT}\n\u2014 PeterNeumann ${signature.replace(/M=$/, 'N=')}\n`, /base64/],
    ['a trailing space', `${TEXT}\n${PETER_LINE} \n`, /base64/],
    ['a 4-byte signature (key ID only)', `${TEXT}\n\u2014 PeterNeumann x08gow==\n`, /4 bytes; a key ID and a signature need at least 5/],
    [`${MAX_SIGNATURES + 1} signature lines`, `${TEXT}\n${`${PETER_LINE}\n`.repeat(MAX_SIGNATURES + 1)}`, /101 signature lines; at most 100/],
  ];
  test.each(cases)('%s', (_, note, message) => {
    expectNoteError(() => openNote(note, [peter]), 'malformed', message);
  });

  test('format errors win over signature errors', () => {
    const forged = PETER_LINE.slice(0, 60) + 'ABCD' + PETER_LINE.slice(64);
    expectNoteError(() => openNote(`${TEXT}\n${forged}\nnot a signature\n`, [peter]), 'malformed');
  });

  test('invalid UTF-8 bytes', () => {
    const bytes = Buffer.concat([Buffer.of(0xff), Buffer.from(PETER_NOTE)]);
    expectNoteError(() => openNote(bytes, [peter]), 'malformed', /not valid UTF-8/);
    const overlong = Buffer.concat([Buffer.from(TEXT.slice(0, -1)), Buffer.of(0xc0, 0x8a), Buffer.from(`\n\n${PETER_LINE}\n`)]);
    expectNoteError(() => openNote(overlong, [peter]), 'malformed', /not valid UTF-8/);
  });

  test(`${MAX_SIGNATURES} lines are accepted, and a 5-byte signature by an unknown key is a signature`, () => {
    expect(openNote(`${TEXT}\n${`${PETER_LINE}\n`.repeat(MAX_SIGNATURES)}`, [peter]).verified).toHaveLength(1);
    const tiny = '\u2014 someone.example AAAAAAA=';
    const opened = openNote(`${PETER_NOTE}${tiny}\n`, [peter]);
    expect(opened.signatures[1]!.signature).toEqual(new Uint8Array(1));
  });
});

describe('tampering', () => {
  test('every flipped bit anywhere in the note makes it fail', () => {
    const bytes = Buffer.from(PETER_NOTE);
    const accepted: string[] = [];
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const mutated = Buffer.from(bytes);
        mutated[i]! ^= 1 << bit;
        try {
          openNote(mutated, [peter]);
          accepted.push(`byte ${i} bit ${bit}`);
        } catch (error) {
          if (!(error instanceof NoteError)) throw error;
        }
      }
    }
    expect(accepted).toEqual([]);
  });

  test('a flipped bit in the text is a bad signature when the text stays well-formed', () => {
    const reasons = new Set<string>();
    for (let i = 0; i < TEXT.length; i++) {
      const mutated = Buffer.from(PETER_NOTE);
      mutated[i]! ^= 0x01;
      reasons.add(noteErrorOf(() => openNote(mutated, [peter])).reason);
    }
    expect([...reasons].sort()).toEqual(['badSignature', 'malformed']);
  });
});

describe('signNote refuses', () => {
  test('text without a final newline, and bad characters', () => {
    expectNoteError(() => signNote('abc', [peterSigner]), 'malformed', /does not end with a newline/);
    expectNoteError(() => signNote('', [peterSigner]), 'malformed');
    expectNoteError(() => signNote('a\rb\n', [peterSigner]), 'malformed', /U\+000D/);
    expectNoteError(() => signNote('a\ud83d\n', [peterSigner]), 'malformed', /unpaired surrogate/);
  });

  test('no signers, the same key twice, and a signer with a bad name', () => {
    expect(() => signNote(TEXT, [])).toThrow(RangeError);
    expect(() => signNote(TEXT, [peterSigner, peterSigner])).toThrow(/given twice/);
    const badName = { ...peterSigner, name: 'Peter Neumann' };
    expectNoteError(() => signNote(TEXT, [badName]), 'badKey', /space/);
  });
});

describe('addSignatures', () => {
  const otherLine = lineOf(signNote(TEXT, [otherSigner]), 0);

  test('appends a cosignature line that then verifies', () => {
    const note = addSignatures(PETER_NOTE, [otherLine]);
    expect(note).toBe(`${PETER_NOTE}${otherLine}\n`);
    expect(openNote(note, [peter, other]).verified).toHaveLength(2);
  });

  test('accepts lines with their newline, and keeps identical lines once', () => {
    expect(addSignatures(PETER_NOTE, [`${otherLine}\n`, otherLine, PETER_LINE])).toBe(`${PETER_NOTE}${otherLine}\n`);
  });

  test('a new line from a key that already signed replaces the old one', () => {
    const stale = `\u2014 example.com/other ${Buffer.concat([Buffer.from(other.keyId), Buffer.alloc(64)]).toString('base64')}`;
    const withStale = addSignatures(PETER_NOTE, [stale]);
    expectNoteError(() => openNote(withStale, [peter, other]), 'badSignature');
    expect(addSignatures(withStale, [otherLine])).toBe(`${PETER_NOTE}${otherLine}\n`);
  });

  test('refuses malformed lines and notes', () => {
    expectNoteError(() => addSignatures(PETER_NOTE, ['- x AAAAAAA=']), 'malformed', /to add does not start/);
    expectNoteError(() => addSignatures(PETER_NOTE, [`${otherLine}\n${otherLine}`]), 'malformed', /newline inside/);
    expectNoteError(() => addSignatures(PETER_NOTE, ['\u2014 x\u0001 AAAAAAA=']), 'malformed', /control character/);
    expectNoteError(() => addSignatures(TEXT, [otherLine]), 'malformed', /no blank line/);
  });

  test(`refuses to go beyond ${MAX_SIGNATURES} signatures`, () => {
    const lines = Array.from({ length: MAX_SIGNATURES }, (_, i) => `\u2014 w${i} AAAAAAA=`);
    expectNoteError(() => addSignatures(PETER_NOTE, lines), 'malformed', /101 signatures/);
    expect(() => addSignatures(PETER_NOTE, lines.slice(1))).not.toThrow();
  });
});

describe('verifiers are only asked about their own key', () => {
  test('verify is called with the text and the bytes after the key ID', () => {
    const calls: Array<[string, string]> = [];
    const spy: NoteVerifier = {
      name: peter.name,
      keyId: peter.keyId,
      type: peter.type,
      verify(message, signature) {
        calls.push([Buffer.from(message).toString(), hex(signature)]);
        return true;
      },
    };
    const both = signNote(TEXT, [peterSigner, otherSigner]);
    openNote(both, [spy]);
    expect(calls).toEqual([[TEXT, hex(openNote(PETER_NOTE, [peter]).verified[0]!.signature)]]);
  });
});
