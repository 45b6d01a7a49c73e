import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';
import { NoteError } from './errors.js';
import { parseSignerKey, parseVerifierKey, signerFromSeed, verifierFromPublicKey } from './keys.js';
import { openNote, signNote } from './note.js';

const peterSigner = parseSignerKey('PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz');
const peter = parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
const ROOT_BASE64 = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

const CONTROL_OR_SURROGATE = /[\u0000-\u001f]|\p{Cs}/u;
const NOT_IN_NAME = /[\p{White_Space}+\u0000-\u001f]|\p{Cs}/u;

/** One line of note text: any Unicode without control characters, possibly empty. */
const lineArb = fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !CONTROL_OR_SURROGATE.test(s));
const nonEmptyLineArb = lineArb.filter((s) => s.length > 0);
const keyNameArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((s) => !NOT_IN_NAME.test(s));
const textArb = fc.array(lineArb, { maxLength: 6 }).map((lines) => lines.map((l) => `${l}\n`).join(''));
const rootArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** Runs `run`; anything it throws must be a NoteError. */
function onlyNoteErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof NoteError)) throw error;
  }
}

describe('checkpoints', () => {
  test('parseCheckpoint(formatCheckpoint(c)) is c', () => {
    fc.assert(
      fc.property(nonEmptyLineArb, fc.maxSafeNat(), rootArb, fc.array(nonEmptyLineArb, { maxLength: 3 }), (origin, size, rootHash, extensions) => {
        const checkpoint = { origin, size, rootHash, extensions };
        expect(parseCheckpoint(formatCheckpoint(checkpoint))).toEqual(checkpoint);
      }),
      { numRuns: 500 },
    );
  });

  test('signed checkpoints open under the key named by their origin', () => {
    fc.assert(
      fc.property(keyNameArb, fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.maxSafeNat(), rootArb, (origin, seed, size, rootHash) => {
        const signer = signerFromSeed(origin, seed);
        const verifier = verifierFromPublicKey(origin, 1, signer.publicKey);
        const checkpoint = { origin, size, rootHash, extensions: [] };
        expect(openCheckpoint(signCheckpoint(checkpoint, signer), verifier).checkpoint).toEqual(checkpoint);
      }),
      { numRuns: 50 },
    );
  });

  test('parseCheckpoint throws nothing but NoteError', () => {
    const pieces = fc.constantFrom('\n', '\n\n', '0', '1', '05', '-1', '9007199254740992', ROOT_BASE64, '=', 'o', ' ', '\r', '\u2014');
    const nearCheckpoint = fc.array(fc.oneof(pieces, fc.string({ maxLength: 5 })), { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), nearCheckpoint), (text) => {
        onlyNoteErrors(() => parseCheckpoint(text));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('notes', () => {
  test('openNote(signNote(text)) gives back the text', () => {
    fc.assert(
      fc.property(textArb.filter((t) => t.length > 0), (text) => {
        const opened = openNote(signNote(text, [peterSigner]), [peter]);
        expect(opened.text).toBe(text);
        expect(opened.verified).toHaveLength(1);
      }),
      { numRuns: 200 },
    );
  });

  test('changing any one character of a signed note makes it fail', () => {
    const note = signNote('log.example/sealtrail\n41\n' + ROOT_BASE64 + '\n', [peterSigner]);
    const chars = [...note];
    fc.assert(
      fc.property(fc.nat({ max: chars.length - 1 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), (index, replacement) => {
        fc.pre(replacement !== chars[index]);
        const mutated = [...chars.slice(0, index), replacement, ...chars.slice(index + 1)].join('');
        expect(() => openNote(mutated, [peter])).toThrow(NoteError);
      }),
      { numRuns: 500 },
    );
  });

  test('openNote throws nothing but NoteError, for strings and bytes', () => {
    const keyIdArb = fc.oneof(fc.constant(peter.keyId), fc.uint8Array({ minLength: 4, maxLength: 4 }));
    const signatureLine = fc
      .tuple(fc.oneof(fc.constant('PeterNeumann'), keyNameArb, fc.string({ maxLength: 4 })), keyIdArb, fc.uint8Array({ maxLength: 70 }))
      .map(([name, id, signature]) => `\u2014 ${name} ${Buffer.concat([id, signature]).toString('base64')}`);
    const nearNote = fc
      .tuple(textArb, fc.array(fc.oneof(signatureLine, lineArb), { maxLength: 4 }), fc.constantFrom('', '\n', '\n\n'))
      .map(([text, lines, end]) => `${text}\n${lines.join('\n')}${end}`);
    fc.assert(
      fc.property(fc.oneof(nearNote, fc.string({ unit: 'binary' }), fc.string()), (note) => {
        onlyNoteErrors(() => {
          const opened = openNote(note, [peter]);
          expect(opened.verified.length).toBeGreaterThan(0);
        });
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        onlyNoteErrors(() => openNote(bytes, [peter]));
      }),
      { numRuns: 1000 },
    );
  });
});
