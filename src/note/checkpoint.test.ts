import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.js';
import { NoteError, type NoteErrorReason } from './errors.js';
import { generateSignerKey, parseSignerKey, parseVerifierKey } from './keys.js';
import { addSignatures, signNote } from './note.js';

const PETER_SIGNER_KEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VERIFIER_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SEED = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
const peterSigner = parseSignerKey(PETER_SIGNER_KEY);
const peter = parseVerifierKey(PETER_VERIFIER_KEY);

// PROTOCOL §1: the root of the empty tree is SHA-256 of nothing.
const EMPTY_ROOT_BASE64 = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
const EMPTY_ROOT = Uint8Array.from(Buffer.from(EMPTY_ROOT_BASE64, 'base64'));
const ROOT = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
const ROOT_BASE64 = Buffer.from(ROOT).toString('base64');

const logKeys = generateSignerKey('log.example/sealtrail', (n) => new Uint8Array(n).fill(0x42));
const logSigner = parseSignerKey(logKeys.signerKey);
const log = parseVerifierKey(logKeys.verifierKey);

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

describe('formatCheckpoint', () => {
  test('writes origin, decimal size and base64 root, one per line', () => {
    const checkpoint = { origin: 'log.example/sealtrail', size: 20852163, rootHash: ROOT, extensions: [] };
    expect(formatCheckpoint(checkpoint)).toBe(`log.example/sealtrail\n20852163\n${ROOT_BASE64}\n`);
  });

  test('writes the empty tree and extension lines', () => {
    const checkpoint = { origin: 'o', size: 0, rootHash: EMPTY_ROOT, extensions: ['ext one', '— two'] };
    expect(formatCheckpoint(checkpoint)).toBe(`o\n0\n${EMPTY_ROOT_BASE64}\next one\n— two\n`);
  });

  test('writes the largest safe size', () => {
    const text = formatCheckpoint({ origin: 'o', size: Number.MAX_SAFE_INTEGER, rootHash: ROOT, extensions: [] });
    expect(text.split('\n')[1]).toBe('9007199254740991');
  });

  const base: Checkpoint = { origin: 'o', size: 1, rootHash: ROOT, extensions: [] };
  const refused: Array<[string, Checkpoint, ErrorConstructor]> = [
    ['an empty origin', { ...base, origin: '' }, RangeError],
    ['an origin with a newline', { ...base, origin: 'a\nb' }, RangeError],
    ['an origin with a control character', { ...base, origin: 'a\u0000' }, RangeError],
    ['a negative size', { ...base, size: -1 }, RangeError],
    ['a fractional size', { ...base, size: 1.5 }, TypeError],
    ['a size of 2^53', { ...base, size: 2 ** 53 }, TypeError],
    ['a 31-byte root', { ...base, rootHash: ROOT.subarray(1) }, RangeError],
    ['an empty extension line', { ...base, extensions: [''] }, RangeError],
    ['an extension line with a newline', { ...base, extensions: ['a\n'] }, RangeError],
  ];
  test.each(refused)('refuses %s', (_, checkpoint, kind) => {
    expect(() => formatCheckpoint(checkpoint)).toThrow(kind);
  });
});

describe('parseCheckpoint', () => {
  test('reads what formatCheckpoint writes', () => {
    const checkpoint = { origin: 'Ünïcødé origin with spaces', size: 12, rootHash: ROOT, extensions: ['x', 'y z'] };
    expect(parseCheckpoint(formatCheckpoint(checkpoint))).toEqual(checkpoint);
    expect(parseCheckpoint(`o\n0\n${EMPTY_ROOT_BASE64}\n`)).toEqual({ origin: 'o', size: 0, rootHash: EMPTY_ROOT, extensions: [] });
    expect(parseCheckpoint(`o\n9007199254740991\n${ROOT_BASE64}\n`).size).toBe(Number.MAX_SAFE_INTEGER);
  });

  const valid = ['log.example/sealtrail', '5', ROOT_BASE64];
  const withLine = (index: number, line: string) => valid.map((l, i) => (i === index ? line : l)).join('\n') + '\n';
  const refused: Array<[string, string, RegExp]> = [
    ['no final newline', valid.join('\n'), /does not end with a newline/],
    ['two lines', `${valid[0]}\n${valid[1]}\n`, /has 2 lines; it needs at least 3/],
    ['an empty text', '', /does not end with a newline/],
    ['a lone newline', '\n', /has 1 lines/],
    ['an empty origin', withLine(0, ''), /origin \(line 1\) is empty/],
    ['a size with a leading zero', withLine(1, '05'), /tree size \(line 2\) "05"/],
    ['a size of "00"', withLine(1, '00'), /tree size/],
    ['a negative size', withLine(1, '-1'), /tree size/],
    ['a size with a plus sign', withLine(1, '+5'), /tree size/],
    ['a size with a space', withLine(1, ' 5'), /tree size/],
    ['a fractional size', withLine(1, '5.0'), /tree size/],
    ['a size in exponent form', withLine(1, '5e3'), /tree size/],
    ['a size in hex', withLine(1, '0x5'), /tree size/],
    ['a size in Arabic-Indic digits', withLine(1, '\u0665'), /tree size/],
    ['an empty size', withLine(1, ''), /tree size/],
    ['a size of 2^53', withLine(1, '9007199254740992'), /from 0 to 2\^53-1/],
    ['a size of 2^64', withLine(1, '18446744073709551616'), /tree size/],
    ['a 31-byte root', withLine(2, Buffer.from(ROOT.subarray(1)).toString('base64')), /root hash \(line 3\) is not 32 bytes/],
    ['a 33-byte root', withLine(2, Buffer.concat([ROOT, Buffer.of(0)]).toString('base64')), /root hash/],
    ['an unpadded root', withLine(2, ROOT_BASE64.slice(0, -1)), /root hash/],
    ['a root with nonzero padding bits', withLine(2, EMPTY_ROOT_BASE64.replace('U=', 'V=')), /root hash/],
    ['a URL-safe root', withLine(2, EMPTY_ROOT_BASE64.replace('+', '-').replace('/', '_')), /root hash/],
    ['a hex root', withLine(2, Buffer.from(ROOT).toString('hex')), /root hash/],
    ['an empty extension line', `${valid.join('\n')}\n\n`, /extension line 4 is empty/],
    ['an empty extension line between two', `${valid.join('\n')}\na\n\nb\n`, /extension line 5 is empty/],
    ['CRLF line ends', valid.join('\r\n') + '\r\n', /control character U\+000D/],
    ['an unpaired surrogate in the origin', withLine(0, 'o\udc00'), /unpaired surrogate/],
  ];
  test.each(refused)('refuses %s', (_, text, message) => {
    expectNoteError(() => parseCheckpoint(text), 'malformed', message);
  });
});

describe('signCheckpoint and openCheckpoint', () => {
  const checkpoint: Checkpoint = { origin: 'log.example/sealtrail', size: 41, rootHash: ROOT, extensions: [] };

  test('round trip', () => {
    const note = signCheckpoint(checkpoint, logSigner);
    expect(note.startsWith(`log.example/sealtrail\n41\n${ROOT_BASE64}\n\n\u2014 log.example/sealtrail `)).toBe(true);
    const opened = openCheckpoint(note, log);
    expect(opened.checkpoint).toEqual(checkpoint);
    expect(opened.note).toBe(note);
    expect(opened.text).toBe(formatCheckpoint(checkpoint));
    expect(openCheckpoint(Buffer.from(note), log).note).toBe(note);
  });

  test('the signature is plain Ed25519 over the checkpoint text, as OpenSSL computes it', () => {
    const peterCheckpoint = { ...checkpoint, origin: 'PeterNeumann' };
    const note = signCheckpoint(peterCheckpoint, peterSigner);
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), PETER_SEED]);
    const expected = nodeSign(null, Buffer.from(formatCheckpoint(peterCheckpoint)), createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
    const line = `\u2014 PeterNeumann ${Buffer.concat([Buffer.from('c74f20a3', 'hex'), expected]).toString('base64')}\n`;
    expect(note).toBe(`${formatCheckpoint(peterCheckpoint)}\n${line}`);
  });

  test('witness cosignature lines are kept, unverified', () => {
    const witness = parseSignerKey(generateSignerKey('witness.example', (n) => new Uint8Array(n).fill(5)).signerKey);
    const text = formatCheckpoint(checkpoint);
    const witnessLine = signNote(text, [witness]).slice(text.length + 1, -1);
    const note = addSignatures(signCheckpoint(checkpoint, logSigner), [witnessLine]);
    const opened = openCheckpoint(note, log);
    expect(opened.signatures.map((s) => s.name)).toEqual(['log.example/sealtrail', 'witness.example']);
    expect(opened.verified.map((s) => s.name)).toEqual(['log.example/sealtrail']);
  });

  test('a checkpoint signed by another key is noKnownSignature', () => {
    const impostor = parseSignerKey(generateSignerKey('log.example/sealtrail', (n) => new Uint8Array(n).fill(1)).signerKey);
    expectNoteError(() => openCheckpoint(signCheckpoint(checkpoint, impostor), log), 'noKnownSignature');
  });

  test('a changed size or root is badSignature', () => {
    const note = signCheckpoint(checkpoint, logSigner);
    expectNoteError(() => openCheckpoint(note.replace('\n41\n', '\n42\n'), log), 'badSignature');
    expectNoteError(() => openCheckpoint(note.replace(ROOT_BASE64, EMPTY_ROOT_BASE64), log), 'badSignature');
  });

  test('an origin that is not the key name is originMismatch', () => {
    const text = formatCheckpoint({ ...checkpoint, origin: 'log.example/other' });
    expectNoteError(() => openCheckpoint(signNote(text, [logSigner]), log), 'originMismatch', /"log.example\/other" is not the name of the log key log.example\/sealtrail/);
  });

  test('a signed text that is not a checkpoint is malformed', () => {
    expectNoteError(() => openCheckpoint(signNote('log.example/sealtrail\n01\nAAAA\n', [logSigner]), log), 'malformed', /tree size/);
  });

  test('signCheckpoint refuses a signer whose name is not the origin', () => {
    expect(() => signCheckpoint(checkpoint, peterSigner)).toThrow(/PeterNeumann is not the checkpoint origin/);
  });
});
