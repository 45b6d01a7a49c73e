/**
 * Hostile signed notes, checkpoints and keys (C2SP signed-note, tlog-checkpoint; PROTOCOL §3), as
 * properties (issue #5):
 *
 * - any text or bytes give an opened note or a NoteError with one of its reasons, nothing else;
 *   the same for checkpoint texts, signature lines to add, and key strings;
 * - checkpoints generated from a model, signed, with unknown cosignature lines in any order, open
 *   to the same checkpoint, every line kept;
 * - each broken part is refused saying what and where: control characters and lone surrogates
 *   (with their index), bytes that are not UTF-8, a missing final newline or blank line, signature
 *   lines that are not `— <name> <base64>`, 101 signature lines (100 accepted), tree sizes with a
 *   sign, a space, leading zeros or beyond 2^53 − 1, root hashes not in canonical base64.
 *
 * SEALTRAIL_LONG=1 runs at least 10,000 cases per property (src/testing/runs.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOSTILE_PIECES, outcome, refusal } from '../testing/hostile.js';
import { longTimeout, parserRuns } from '../testing/runs.js';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';
import { NoteError, type NoteErrorReason } from './errors.js';
import { parseCosignerKey, parseSignerKey, parseVerifierKey, signerFromSeed, verifierFromPublicKey } from './keys.js';
import { addSignatures, MAX_SIGNATURES, openNote, signNote } from './note.js';

const timeout = longTimeout();
const REASONS: readonly NoteErrorReason[] = ['malformed', 'badKey', 'badSignature', 'noKnownSignature', 'originMismatch'];
const ROOT = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

const logSigner = signerFromSeed('log.example/sealtrail', new Uint8Array(32).fill(7));
const logVerifier = verifierFromPublicKey(logSigner.name, 1, logSigner.publicKey);
const SIGNED = signCheckpoint({ origin: logSigner.name, size: 41, rootHash: Buffer.from(ROOT, 'base64'), extensions: [] }, logSigner);

/** signed-note: no Unicode space, no '+', no control character; never empty. */
const keyNameArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }).filter((s) => !/[\p{White_Space}+\u0000-\u001f]/u.test(s));
/** A line of note text: no control character (newline is the separator). */
const lineArb = fc.string({ unit: 'binary', maxLength: 24 }).filter((s) => !/[\u0000-\u001f]/.test(s));

/** `— <name> <base64(key ID || signature)>`, for a key nobody here knows. */
const unknownLine = fc
  .tuple(keyNameArb, fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 1, maxLength: 72 }))
  .map(([name, id, sig]) => `\u2014 ${name} ${Buffer.concat([id, sig]).toString('base64')}`);

/** Pieces of notes and of near-notes, joined at random. */
const noteSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom('\n', '\n\n', '\u2014 ', '\u2014', '\u2013 ', '-- ', ' ', 'log.example/sealtrail', '41', '041', '-1', '9007199254740992', ROOT, ROOT.slice(0, -1), '=', '+', 'AAAA', 'AAAAAAAA', '\r', '\t'),
      unknownLine,
      fc.constantFrom(...HOSTILE_PIECES),
      lineArb,
    ),
    { maxLength: 16 },
  )
  .map((p) => p.join(''));

/** The signed checkpoint with one character replaced, inserted or deleted. */
const mutatedNote = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 }), fc.constantFrom('\n', '\r', '\u0000', ' ', '\u2014', '=', '0', 'A', '+', '\ud800', '\u00a0')).map(([at, kind, piece]) => {
  const i = at % SIGNED.length;
  if (kind === 0) return `${SIGNED.slice(0, i)}${piece}${SIGNED.slice(i + 1)}`;
  if (kind === 1) return `${SIGNED.slice(0, i)}${piece}${SIGNED.slice(i)}`;
  return `${SIGNED.slice(0, i)}${SIGNED.slice(i + 1)}`;
});

const anyNote = fc.oneof(noteSoup, mutatedNote, fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ maxLength: 60 }));

/** The NoteError of `run`, if any, must carry one of the reasons. */
function onlyNoteErrors(run: () => unknown): void {
  const result = outcome(run, NoteError);
  if (!result.ok) {
    expect(REASONS).toContain((result.error as NoteError).reason);
    expect(result.error.message.length).toBeGreaterThan(10);
  }
}

const malformed = (run: () => unknown): string => {
  const error = refusal(run, NoteError) as NoteError;
  expect(error.reason).toBe('malformed');
  return error.message;
};

describe('on any input', () => {
  it(
    'openNote, openCheckpoint and parseCheckpoint throw nothing but NoteError, for text and bytes',
    () => {
      fc.assert(
        fc.property(fc.oneof(anyNote, fc.uint8Array({ maxLength: 120 })), (note) => {
          onlyNoteErrors(() => openNote(note, [logVerifier]));
          onlyNoteErrors(() => openCheckpoint(note, logVerifier));
          if (typeof note === 'string') onlyNoteErrors(() => parseCheckpoint(note));
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'addSignatures and the key parsers throw nothing but NoteError',
    () => {
      const keyish = fc
        .array(fc.oneof(fc.constantFrom('+', 'PRIVATE+KEY+', 'log', 'c74f20a3', 'ZZZZZZZZ', 'AQ==', 'AY', 'BA==', ' ', '\u00a0', '=', '/'), lineArb, fc.constantFrom(...HOSTILE_PIECES)), { maxLength: 8 })
        .map((p) => p.join(''));
      fc.assert(
        fc.property(fc.oneof(anyNote, keyish), (text) => {
          onlyNoteErrors(() => addSignatures(SIGNED, [text]));
          onlyNoteErrors(() => parseVerifierKey(text));
          onlyNoteErrors(() => parseSignerKey(text));
          onlyNoteErrors(() => parseCosignerKey(text));
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );
});

describe('checkpoints generated from a model', () => {
  const checkpointArb = fc.record({
    seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    origin: keyNameArb,
    size: fc.oneof(fc.maxSafeNat(), fc.nat(1000), fc.constant(0)),
    rootHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    extensions: fc.array(lineArb.filter((l) => l.length > 0), { maxLength: 3 }),
    others: fc.array(unknownLine, { maxLength: 5 }),
    at: fc.nat(),
  });

  it(
    'open to the same checkpoint under the log key, with every unknown signature line kept',
    () => {
      fc.assert(
        fc.property(checkpointArb, fc.boolean(), ({ seed, origin, size, rootHash, extensions, others, at }, asBytes) => {
          const signer = signerFromSeed(origin, seed);
          const verifier = verifierFromPublicKey(origin, 1, signer.publicKey);
          const checkpoint = { origin, size, rootHash, extensions };
          const note = signCheckpoint(checkpoint, signer);
          // The log's line anywhere among the others: the order of signature lines does not matter.
          const [text, own] = [note.slice(0, note.lastIndexOf('\n\n') + 2), note.slice(note.lastIndexOf('\n\n') + 2, -1)];
          const lines = [...others];
          lines.splice(at % (lines.length + 1), 0, own);
          const full = `${text}${lines.map((l) => `${l}\n`).join('')}`;
          const opened = openCheckpoint(asBytes ? utf8(full) : full, verifier);
          expect(opened.checkpoint).toEqual(checkpoint);
          expect(opened.note).toBe(full);
          expect(opened.verified.map((s) => s.line)).toEqual([own]);
          expect(opened.signatures.map((s) => s.line)).toEqual([...new Set(lines)]);
        }),
        { numRuns: parserRuns(200, 10_000) },
      );
    },
    timeout,
  );
});

describe('broken notes and checkpoints: refused, saying what and where', () => {
  const describeUnit = (u: number): string => `U+${u.toString(16).toUpperCase().padStart(4, '0')}`;

  it(
    'a control character (other than newline) or a lone surrogate anywhere, with its index',
    () => {
      const bad = fc.oneof(fc.integer({ min: 0, max: 0x1f }).filter((u) => u !== 0x0a), fc.integer({ min: 0xd800, max: 0xdfff }));
      fc.assert(
        fc.property(fc.nat(), bad, (at, unit) => {
          const i = at % (SIGNED.length + 1);
          const note = `${SIGNED.slice(0, i)}${String.fromCharCode(unit)}${SIGNED.slice(i)}`;
          const kind = unit < 0x20 ? 'a control character' : 'an unpaired surrogate';
          expect(malformed(() => openNote(note, [logVerifier]))).toBe(
            `the note contains ${kind} ${describeUnit(unit)} at index ${i}; only newline is allowed below U+0020`,
          );
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'bytes that are not UTF-8',
    () => {
      fc.assert(
        fc.property(fc.nat(), fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x80], [0x80]), (at, bad) => {
          const bytes = [...utf8(SIGNED)];
          bytes.splice(at % (bytes.length + 1), 0, ...bad);
          expect(malformed(() => openNote(new Uint8Array(bytes), [logVerifier]))).toBe('the note is not valid UTF-8');
        }),
        { numRuns: parserRuns(200) },
      );
    },
    timeout,
  );

  it(
    'signature lines not of the form "— <name> <base64>", each named by its number',
    () => {
      const broken = fc.oneof(
        fc.constantFrom('-- a AAAAAAA=', '\u2013 a AAAAAAA=', '\u2014a AAAAAAA=', '\u2014\u00a0a AAAAAAA=', ' \u2014 a AAAAAAA=').map((l) => [l, /does not start with an em dash \(U\+2014\) and a space$/] as const),
        fc.constantFrom('\u2014 a', '\u2014 nospace').map((l) => [l, /has no space between the key name and the signature$/] as const),
        fc.constantFrom('\u2014  AAAAAAA=', '\u2014 a+b AAAAAAA=', '\u2014 a\u3000b AAAAAAA=').map((l) => [l, /: the key (name is empty|name contains .*); a key name must be non-empty and contain no spaces, no "\+" and no control characters$/s] as const),
        fc.constantFrom('\u2014 a AAAAAAA', '\u2014 a AAAAAAB=', '\u2014 a AAAA AAA=', '\u2014 a -_-_-_-_', '\u2014 a AAAAAAA= ').map((l) => [l, /: the signature of a is not valid padded standard base64$/] as const),
        fc.constantFrom('\u2014 a AAAA', '\u2014 a AAAAAA==', '\u2014 a ').map((l) => [l, /: the signature of a is \d bytes; a key ID and a signature need at least 5$/] as const),
      );
      fc.assert(
        fc.property(fc.array(unknownLine, { maxLength: 4 }), fc.nat(), broken, ([...others], at, [line, message]) => {
          const i = at % (others.length + 1);
          others.splice(i, 0, line);
          const note = `${SIGNED.slice(0, SIGNED.lastIndexOf('\n\n') + 2)}${others.map((l) => `${l}\n`).join('')}`;
          const text = malformed(() => openNote(note, [logVerifier]));
          expect(text.startsWith(`signature line ${i + 1}`)).toBe(true);
          expect(text).toMatch(message);
        }),
        { numRuns: parserRuns(300) },
      );
      expect(malformed(() => openNote(SIGNED.slice(0, -1), [logVerifier]))).toBe('the note does not end with a newline');
      expect(malformed(() => openNote('log\n41\n\u2014 a AAAAAAA=\n', [logVerifier]))).toBe('the note has no blank line between its text and its signature lines');
    },
    timeout,
  );

  it(
    `signature lines: ${MAX_SIGNATURES} are accepted, ${MAX_SIGNATURES + 1} are refused naming the limit`,
    () => {
      fc.assert(
        fc.property(fc.integer({ min: MAX_SIGNATURES - 3, max: MAX_SIGNATURES + 3 }), (count) => {
          const own = SIGNED.slice(SIGNED.lastIndexOf('\n\n') + 2, -1);
          const lines = [own, ...Array.from({ length: count - 1 }, (_, k) => `\u2014 w${k} ${Buffer.alloc(68, k).toString('base64')}`)];
          const note = `${SIGNED.slice(0, SIGNED.lastIndexOf('\n\n') + 2)}${lines.map((l) => `${l}\n`).join('')}`;
          const result = outcome(() => openNote(note, [logVerifier]), NoteError);
          if (count <= MAX_SIGNATURES) expect(result.ok && result.value.signatures.length).toBe(count);
          else expect(!result.ok && result.error.message).toBe(`the note has ${count} signature lines; at most ${MAX_SIGNATURES} are accepted`);
        }),
        { numRuns: parserRuns(20, 200) },
      );
    },
    timeout,
  );

  it(
    'tree sizes that are not the one decimal spelling of a safe integer',
    () => {
      const size = fc.tuple(fc.maxSafeNat(), fc.integer({ min: 0, max: 9 })).map(([n, kind]) =>
        [`0${n}`, `+${n}`, `-${n}`, ` ${n}`, `${n} `, `${n}.0`, `${n}e0`, String(BigInt(n) + 2n ** 53n), `0x${n.toString(16)}`, ''][kind]!,
      );
      fc.assert(
        fc.property(size, (text) => {
          const checkpoint = `log.example/sealtrail\n${text}\n${ROOT}\n`;
          expect(malformed(() => parseCheckpoint(checkpoint))).toBe(
            `the checkpoint tree size (line 2) ${JSON.stringify(text.slice(0, 40))} is not a decimal number from 0 to 2^53-1 without leading zeros`,
          );
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'root hashes that are not 32 bytes in canonical padded base64',
    () => {
      const root = fc.oneof(
        fc.uint8Array({ maxLength: 40 }).filter((b) => b.length !== 32).map((b) => Buffer.from(b).toString('base64')),
        fc.tuple(fc.nat(43), fc.constantFrom('-', '_', ' ', '=', '', 'AA', '\u00e9')).map(([at, c]) => `${ROOT.slice(0, at)}${c}${ROOT.slice(at + 1)}`),
        fc.constantFrom(ROOT.slice(0, -1), `${ROOT.slice(0, -2)}V=`, Buffer.from(ROOT, 'base64').toString('base64url')),
      );
      fc.assert(
        fc.property(root, (text) => {
          fc.pre(text !== ROOT && !(Buffer.from(text, 'base64').length === 32 && Buffer.from(text, 'base64').toString('base64') === text));
          expect(malformed(() => parseCheckpoint(`log\n1\n${text}\n`))).toBe('the checkpoint root hash (line 3) is not 32 bytes in padded standard base64');
        }),
        { numRuns: parserRuns(300) },
      );
      expect(malformed(() => parseCheckpoint('log\n1\n'))).toBe('the checkpoint has 2 lines; it needs at least 3 (origin, tree size, root hash)');
      expect(malformed(() => parseCheckpoint(`\n1\n${ROOT}\n`))).toBe('the checkpoint origin (line 1) is empty');
      expect(malformed(() => parseCheckpoint(`log\n1\n${ROOT}\n\next\n`))).toBe('the checkpoint extension line 4 is empty');
    },
    timeout,
  );

  it(
    "a checkpoint signed by the log's key but naming another origin, and a signature that does not verify",
    () => {
      fc.assert(
        fc.property(keyNameArb.filter((n) => n !== logSigner.name), fc.nat(), (origin, at) => {
          const note = signNote(formatCheckpoint({ origin, size: 1, rootHash: new Uint8Array(32), extensions: [] }), [logSigner]);
          const error = refusal(() => openCheckpoint(note, logVerifier), NoteError) as NoteError;
          expect(error.reason).toBe('originMismatch');
          // One bit of the signature flipped: a known key whose signature fails.
          const line = SIGNED.slice(SIGNED.lastIndexOf('\n\n') + 2, -1);
          const sig = Buffer.from(line.slice(line.lastIndexOf(' ') + 1), 'base64');
          const bit = 32 + (at % ((sig.length - 4) * 8)); // after the 4-byte key ID
          sig[bit >> 3]! ^= 1 << (bit & 7);
          const forged = `${SIGNED.slice(0, SIGNED.lastIndexOf('\n\n') + 2)}\u2014 ${logSigner.name} ${sig.toString('base64')}\n`;
          expect((refusal(() => openCheckpoint(forged, logVerifier), NoteError) as NoteError).reason).toBe('badSignature');
        }),
        { numRuns: parserRuns(100, 2000) },
      );
    },
    timeout,
  );
});
