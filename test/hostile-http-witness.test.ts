/**
 * Hostile add-checkpoint requests to a real witness over real HTTP (C2SP tlog-witness v1.0.0,
 * PROTOCOL §7; issue #5): generated bodies, from arbitrary bytes to well-formed requests with a
 * real log's signed checkpoints and consistency proofs, some right and most subtly wrong.
 *
 * Every answer has one of the statuses tlog-witness defines (200, 400, 403, 404, 409, 413, 422),
 * never 5xx; refusals are one line of text/plain (409: the latest size, as text/x.tlog.size); a
 * body the request parser refuses is 400 with the parser's message; the witness keeps answering
 * and only ever moves forward.
 *
 * SEALTRAIL_LONG=1 runs ~2,000 cases per property instead of ~100 (src/testing/runs.ts).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64 } from '../src/util/bytes.js';
import { HOSTILE_PIECES, outcome } from '../src/testing/hostile.js';
import { httpRuns, longTimeout } from '../src/testing/runs.js';
import { WitnessError } from '../src/witness/errors.js';
import { formatAddCheckpoint, parseAddCheckpoint } from '../src/witness/request.js';
import { http } from './harness.js';
import type { Reply } from './harness.js';
import { startLogFixture, startWitness } from './witness-process.js';
import type { LogFixture, WitnessFixture } from './witness-process.js';

const timeout = longTimeout(30 * 60_000);
const SIZE = 6;

let log: LogFixture;
let witness: WitnessFixture;
/** The size the witness last cosigned, as its 200s and 409s tell. */
let latest = 0;
/** Every consistency proof of the log, by `${first} ${second}`. */
const proofs = new Map<string, string[]>();

beforeAll(async () => {
  log = await startLogFixture(SIZE);
  witness = await startWitness([{ origin: log.origin, verifier_key: log.verifierKey }]);
  for (let first = 0; first <= SIZE; first++) {
    for (let second = first; second <= SIZE; second++) proofs.set(`${first} ${second}`, (await log.proof(first, second)).map(toBase64));
  }
});

afterAll(async () => {
  await witness.destroy();
  await log.destroy();
});

/** tlog-witness statuses, and the body each must have. */
function expectWitnessAnswer(reply: Reply): void {
  expect([200, 400, 403, 404, 409, 413, 422], reply.text).toContain(reply.status);
  if (reply.status === 409) {
    expect(reply.headers.get('content-type')).toBe('text/x.tlog.size');
    expect(reply.text).toMatch(/^(0|[1-9][0-9]*)\n$/);
    latest = Number(reply.text);
    return;
  }
  expect(reply.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  // One line: a refusal's message, or the cosignature line.
  expect(reply.text).toMatch(/^[^\n]+\n$/);
  if (reply.status === 200) expect(reply.text.startsWith('\u2014 witness.example/w1 ')).toBe(true);
}

/** A request built on the real log: right by default, with one thing changed as `change` says. */
const requestArb = fc.record({
  size: fc.integer({ min: 0, max: SIZE }),
  change: fc.constantFrom('none', 'none', 'none', 'old', 'proof-bit', 'proof-drop', 'proof-add', 'note-char', 'note-line', 'other-size-note'),
  oldSize: fc.integer({ min: 0, max: SIZE + 2 }),
  at: fc.nat(),
  hash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toBase64),
  char: fc.constantFrom('0', '1', 'A', ' ', '\n', '\r', '\u2014', '=', '+', '\u0000'),
});

type Intent = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function buildBody({ size, change, oldSize, at, hash, char }: Intent): string {
  const second = Math.max(size, latest);
  const first = change === 'old' ? oldSize : latest;
  let proof = proofs.get(`${Math.min(first, second)} ${second}`) ?? [];
  let note = log.checkpoints[second]!;
  if (proof.length > 0 && change === 'proof-bit') {
    const bytes = Buffer.from(proof[at % proof.length]!, 'base64');
    bytes[at % 32]! ^= 1;
    proof = proof.map((p, i) => (i === at % proof.length ? bytes.toString('base64') : p));
  }
  if (change === 'proof-drop' && proof.length > 0) proof = proof.filter((_, i) => i !== at % proof.length);
  if (change === 'proof-add') proof = [...proof.slice(0, at % (proof.length + 1)), hash, ...proof.slice(at % (proof.length + 1))];
  if (change === 'note-char') note = `${note.slice(0, at % note.length)}${char}${note.slice((at % note.length) + 1)}`;
  if (change === 'note-line') note = `${note}\u2014 other.example/w ${toBase64(new Uint8Array(68))}\n`;
  if (change === 'other-size-note') note = log.checkpoints[at % (SIZE + 1)]!;
  return `old ${first}\n${proof.map((p) => `${p}\n`).join('')}\n${note}`;
}

const soup = fc
  .array(fc.oneof(fc.constantFrom('old ', 'old 0', 'old 1', 'old 01', '\n', '\n\n', '\r\n', '\u2014 ', 'test.example/log', '6', toBase64(new Uint8Array(32))), fc.constantFrom(...HOSTILE_PIECES)), { maxLength: 14 })
  .map((p) => p.join(''));

describe('POST /add-checkpoint', () => {
  it(
    'answers every body with a tlog-witness status and body; a body the parser refuses gets its message',
    async () => {
      const body = fc.oneof(
        { arbitrary: requestArb.map((r) => () => buildBody(r)), weight: 4 },
        soup.map((s) => () => s),
        fc.uint8Array({ maxLength: 120 }).map((b) => () => b),
      );
      let cosigned = 0;
      await fc.assert(
        fc.asyncProperty(body, async (make) => {
          const sent = make();
          const before = latest;
          const reply = await witness.post(sent);
          expectWitnessAnswer(reply);
          // The bytes on the wire: fetch writes a lone surrogate of a string as U+FFFD.
          const bytes = typeof sent === 'string' ? new TextEncoder().encode(sent) : sent;
          const parsed = outcome(() => parseAddCheckpoint(bytes), WitnessError);
          if (!parsed.ok) {
            expect(reply.status).toBe(400);
            expect(reply.text).toBe(`${parsed.error.message}\n`);
          }
          if (reply.status === 200) {
            cosigned++;
            const request = parseAddCheckpoint(bytes);
            // The witness only moves forward: it cosigned a checkpoint at least as large as before.
            const size = Number(request.note.split('\n')[1]);
            expect(size).toBeGreaterThanOrEqual(before);
            latest = size;
          }
        }),
        { numRuns: httpRuns() },
      );
      // A test that cannot fail is a defect: the right requests did get cosigned.
      expect(cosigned).toBeGreaterThan(0);
      expect((await http(`${witness.url}/healthz`)).status).toBe(200);
    },
    timeout,
  );

  it('refuses a body over 64 KiB with 413, and one at the limit is read', async () => {
    const limit = 64 * 1024;
    const right = formatAddCheckpoint({ oldSize: latest, proof: [], note: log.checkpoints[latest]! });
    // White space after the note is part of the note, so the signature block breaks: 400, but read.
    const atLimit = `${right}${' '.repeat(limit - Buffer.byteLength(right))}`;
    const read = await witness.post(atLimit);
    expectWitnessAnswer(read);
    expect(read.status).not.toBe(413);
    const over = await witness.post(`${atLimit} `);
    expectWitnessAnswer(over);
    expect(over.status).toBe(413);
    expect(over.text).toBe(`the add-checkpoint body is larger than the limit of ${limit} bytes\n`);
  });
});
