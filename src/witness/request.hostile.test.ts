/**
 * Hostile add-checkpoint requests (C2SP tlog-witness v1.0.0; PROTOCOL §7), as properties (issue #5):
 *
 * - any body gives a request or a WitnessError `malformed`, nothing else, and a body that is
 *   accepted is the one formatAddCheckpoint writes for that request (one body, one reading);
 * - requests generated from a model are read back;
 * - each wrong spelling of the old-size line or a proof line, 64 proof lines, CR line ends, a missing
 *   separator or note, and bytes that are not UTF-8 are refused saying which line and what is accepted;
 * - past the body, the witness's decision on any request and any cosigned state (openSubmission,
 *   then judge) ends in a verdict or a WitnessError with a status-bearing code, nothing else.
 *
 * SEALTRAIL_LONG=1 runs at least 10,000 cases per property (src/testing/runs.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatVerifierKey, signerFromSeed, signCheckpoint } from '../note/index.js';
import { toBase64 } from '../util/bytes.js';
import { HOSTILE_PIECES, outcome, refusal } from '../testing/hostile.js';
import { longTimeout, parserRuns } from '../testing/runs.js';
import { parseWitnessConfig } from './config.js';
import { judge, openSubmission } from './core.js';
import { WitnessError } from './errors.js';
import { formatAddCheckpoint, MAX_PROOF_LINES, parseAddCheckpoint, type AddCheckpointRequest } from './request.js';

const timeout = longTimeout();
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const HASH = toBase64(new Uint8Array(32).fill(9));

const signer = signerFromSeed('log.example/w', new Uint8Array(32).fill(3));
const logs = new Map(parseWitnessConfig({ logs: [{ origin: signer.name, verifier_key: formatVerifierKey(signer.name, 1, signer.publicKey) }] }).logs.map((l) => [l.origin, l]));
const signedAt = (size: number, root: Uint8Array): string => signCheckpoint({ origin: signer.name, size, rootHash: root, extensions: [] }, signer);
const NOTE = signedAt(5, new Uint8Array(32).fill(1));

const hashArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const requestArb: fc.Arbitrary<AddCheckpointRequest> = fc.record({
  oldSize: fc.oneof(fc.maxSafeNat(), fc.nat(100)),
  proof: fc.array(hashArb, { maxLength: MAX_PROOF_LINES }),
  note: fc.oneof(fc.constant(NOTE), fc.string({ unit: 'binary', minLength: 1, maxLength: 60 })),
});

const malformed = (body: string | Uint8Array): string => {
  const error = refusal(() => parseAddCheckpoint(body), WitnessError) as WitnessError;
  expect(error.code).toBe('malformed');
  expect(error.message.startsWith('add-checkpoint body: ')).toBe(true);
  return error.message.slice('add-checkpoint body: '.length);
};

/** Pieces of request bodies and near-bodies, joined at random. */
const bodySoup = fc
  .array(fc.oneof(fc.constantFrom('old ', 'old', 'Old ', '0', '1', '01', '-1', '+1', '9007199254740992', '\n', '\n\n', '\r\n', '\r', ' ', HASH, HASH.slice(0, -1), NOTE), fc.constantFrom(...HOSTILE_PIECES)), { maxLength: 12 })
  .map((p) => p.join(''));

/** A valid body with one character replaced, inserted or deleted. */
const mutatedBody = fc.tuple(requestArb.map(formatAddCheckpoint), fc.nat(), fc.integer({ min: 0, max: 2 }), fc.constantFrom('\n', '\r', ' ', '0', '=', 'A', '-', '\u0000')).map(([body, at, kind, c]) => {
  const i = at % body.length;
  return kind === 0 ? `${body.slice(0, i)}${c}${body.slice(i + 1)}` : kind === 1 ? `${body.slice(0, i)}${c}${body.slice(i)}` : `${body.slice(0, i)}${body.slice(i + 1)}`;
});

describe('parseAddCheckpoint on any body', () => {
  it(
    'gives a request or WitnessError malformed; what it accepts is what formatAddCheckpoint writes',
    () => {
      fc.assert(
        fc.property(fc.oneof(bodySoup, mutatedBody, fc.string({ unit: 'binary', maxLength: 80 }), fc.uint8Array({ maxLength: 120 })), (body) => {
          const result = outcome(() => parseAddCheckpoint(body), WitnessError);
          if (result.ok) {
            const text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
            expect(formatAddCheckpoint(result.value)).toBe(text);
          } else {
            expect((result.error as WitnessError).code).toBe('malformed');
          }
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'reads back every request generated from the model, as text and as bytes',
    () => {
      fc.assert(
        fc.property(requestArb, fc.boolean(), (request, asBytes) => {
          const body = formatAddCheckpoint(request);
          const read = parseAddCheckpoint(asBytes ? utf8(body) : body);
          expect(read.oldSize).toBe(request.oldSize);
          expect(read.proof.map(toBase64)).toEqual(request.proof.map(toBase64));
          expect(read.note).toBe(request.note);
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );
});

describe('broken bodies: refused, naming the line and what is accepted', () => {
  it(
    'an old-size line that is not "old <decimal>"',
    () => {
      const oldLine = fc.tuple(fc.maxSafeNat(), fc.integer({ min: 0, max: 11 })).map(([n, kind]) =>
        [`old 0${n}`, `old +${n}`, `old -${n}`, `old  ${n}`, `old ${n} `, `Old ${n}`, `old\t${n}`, `old ${n}\r`, `old ${BigInt(n) + 2n ** 53n}`, `old ${n}.0`, `old ${n}e0`, 'old '][kind]!,
      );
      fc.assert(
        fc.property(oldLine, (line) => {
          expect(malformed(`${line}\n\n${NOTE}`)).toBe(
            `the first line ${JSON.stringify(line.slice(0, 40))} is not "old <size>" with the size in decimal from 0 to 2^53-1 without leading zeros`,
          );
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'a proof line that is not a 32-byte hash in canonical padded base64, named by its number',
    () => {
      const badHash = fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 40 }).filter((b) => b.length !== 32).map(toBase64),
        fc.tuple(fc.nat(43), fc.constantFrom('-', '_', ' ', '', '\r', 'AA')).map(([at, c]) => `${HASH.slice(0, at)}${c}${HASH.slice(at + 1)}`),
        fc.constantFrom(`${HASH}\r`, ` ${HASH}`, HASH.slice(0, -1), `${HASH.slice(0, -2)}B=`),
      );
      fc.assert(
        fc.property(fc.array(hashArb.map(toBase64), { maxLength: 5 }), fc.nat(), badHash, ([...lines], at, bad) => {
          fc.pre(bad !== HASH && bad !== '');
          const i = at % (lines.length + 1);
          lines.splice(i, 0, bad);
          expect(malformed(`old 3\n${lines.map((l) => `${l}\n`).join('')}\n${NOTE}`)).toBe(`proof line ${i + 1} is not a 32-byte hash in padded standard base64`);
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    `proof lines: ${MAX_PROOF_LINES} are accepted, ${MAX_PROOF_LINES + 1} are refused naming the limit`,
    () => {
      fc.assert(
        fc.property(fc.integer({ min: MAX_PROOF_LINES - 3, max: MAX_PROOF_LINES + 3 }), (count) => {
          const body = `old 1\n${`${HASH}\n`.repeat(count)}\n${NOTE}`;
          if (count <= MAX_PROOF_LINES) expect(parseAddCheckpoint(body).proof).toHaveLength(count);
          else expect(malformed(body)).toBe('more than 63 consistency proof lines; tlog-witness allows at most 63');
        }),
        { numRuns: parserRuns(20, 200) },
      );
    },
    timeout,
  );

  it(
    'CR line ends, a missing separator or note, and bytes that are not UTF-8',
    () => {
      fc.assert(
        fc.property(requestArb, fc.nat(), fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80]), (request, at, bad) => {
          const body = [...utf8(formatAddCheckpoint(request))];
          body.splice(at % (body.length + 1), 0, ...bad);
          expect(malformed(new Uint8Array(body))).toBe('the body is not valid UTF-8');
          // With CRLF line ends the first line ends in CR, which is not part of "old <size>".
          expect(malformed(formatAddCheckpoint(request).replace('\n', '\r\n'))).toMatch(/^the first line ".*\\r" is not "old <size>"/s);
        }),
        { numRuns: parserRuns(200) },
      );
      expect(malformed('old 1')).toBe('the first line does not end with a newline (U+000A)');
      expect(malformed(`old 1\n${HASH}`)).toBe('line 2 does not end with a newline (U+000A)');
      expect(malformed(`old 1\n${HASH}\n\n`)).toBe('the body has no checkpoint after the empty line');
      expect(malformed('')).toBe('the first line does not end with a newline (U+000A)');
    },
    timeout,
  );
});

describe("the witness's decision past the body", () => {
  it(
    'ends in a verdict or a WitnessError with a code the HTTP layer maps, for any note, proof and cosigned state',
    () => {
      const noteArb = fc.oneof(
        fc.tuple(fc.oneof(fc.nat(20), fc.maxSafeNat()), fc.oneof(hashArb, fc.constant(new Uint8Array(32)))).map(([size, root]) => signedAt(size, root)),
        fc.tuple(fc.nat(), fc.constantFrom('\n', ' ', 'x', '\u2014', '0', '\r')).map(([at, c]) => `${NOTE.slice(0, at % NOTE.length)}${c}${NOTE.slice((at % NOTE.length) + 1)}`),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
      );
      const stateArb = fc.option(fc.record({ size: fc.oneof(fc.nat(20), fc.maxSafeNat()), rootHash: hashArb, logNote: fc.constant(''), cosignature: fc.constant(''), cosignedAt: fc.constant(0) }), { nil: undefined });
      const refusalArb = fc.option(fc.constant({ evidenceFile: 'evidence/x.json', reason: 'test', since: 0 }), { nil: undefined, freq: 10 });
      fc.assert(
        fc.property(fc.oneof(fc.nat(20), fc.maxSafeNat()), fc.array(hashArb, { maxLength: 8 }), noteArb, stateArb, refusalArb, (oldSize, proof, note, state, refused) => {
          const body = formatAddCheckpoint({ oldSize, proof, note });
          const result = outcome(() => judge(openSubmission(parseAddCheckpoint(body), logs), state, refused), WitnessError);
          if (result.ok) expect(['cosign', 'fork']).toContain(result.value.kind);
          else expect(['malformed', 'forbidden', 'unknownOrigin', 'conflict', 'inconsistent', 'refused']).toContain((result.error as WitnessError).code);
        }),
        { numRuns: parserRuns(200, 10_000) },
      );
    },
    timeout,
  );
});
