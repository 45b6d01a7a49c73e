/**
 * Query parameters and path segments (spec/formats.md §1: "Decimal in query strings"), as
 * properties over generated text and query strings (issue #5). A small Hono app runs the real
 * parameter functions and the real error mapping (src/api/errors.ts) through `app.request()`.
 *
 * - parseUint accepts exactly the canonical decimal of a safe integer, and nothing else;
 * - hashParam accepts exactly the canonical padded base64 of 32 bytes;
 * - every parameter is given once: missing and repeated are refused by name;
 * - every refusal is 400 with exactly the pinned body `{"error_code", "error_message"}`.
 *
 * SEALTRAIL_LONG=1 runs at least 10,000 cases per property (src/testing/runs.ts).
 */
import fc from 'fast-check';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { toBase64 } from '../util/bytes.js';
import { LogError } from '../util/errors.js';
import { HOSTILE_PIECES, outcome, refusal } from '../testing/hostile.js';
import { longTimeout, parserRuns } from '../testing/runs.js';
import { onError } from './errors.js';
import { hashParam, parseUint, stringParam, uintParam } from './params.js';

const MAX = Number.MAX_SAFE_INTEGER;
const timeout = longTimeout();

const uintMessage = (name: string, text: string): string =>
  `${name} must be a decimal integer from 0 to 9007199254740991, got ${JSON.stringify(text.slice(0, 40))}`;

/** Text that is nearly a decimal number, from the pieces strict parsers trip on. */
const decimalish = fc
  .array(
    fc.oneof(
      fc.constantFrom(...'0123456789'.split('')),
      fc.constantFrom('-', '+', ' ', '\t', '.', 'e', 'E', 'x', 'n', '_', ',', '٣', '０', '¹', '\u0000', '\u00a0', 'Infinity'),
      fc.constantFrom(...HOSTILE_PIECES),
    ),
    { maxLength: 20 },
  )
  .map((p) => p.join(''));

/** Decimal texts of integers around and beyond 2^53, as a client could write them. */
const bigDecimal = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 70n }), fc.bigInt({ min: 2n ** 53n - 3n, max: 2n ** 53n + 3n })).map(String);

/** Every way to spell a number that is not its one accepted spelling. */
const uintMutant = fc.tuple(fc.maxSafeNat(), fc.integer({ min: 0, max: 11 })).map(([n, kind]) => {
  switch (kind) {
    case 0: return `-${n}`;
    case 1: return `+${n}`;
    case 2: return ` ${n}`;
    case 3: return `${n} `;
    case 4: return `0${n}`;
    case 5: return `${n}.0`;
    case 6: return `${n}e0`;
    case 7: return `0x${n.toString(16)}`;
    case 8: return `${n}n`;
    case 9: return String(BigInt(n) + 2n ** 53n);
    case 10: return `${n}`.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))); // full-width digits
    default: return '';
  }
});

describe('parseUint (query parameters and path segments)', () => {
  it(
    'accepts exactly the canonical decimal of a safe integer; refuses anything else naming the parameter and the rule',
    () => {
      fc.assert(
        fc.property(fc.oneof(decimalish, bigDecimal, fc.string({ unit: 'binary', maxLength: 30 }), fc.maxSafeNat().map(String), uintMutant), fc.constantFrom('first', 'tree_size', 'index'), (text, name) => {
          const result = outcome(() => parseUint(text, name), LogError);
          if (result.ok) {
            // One spelling per value: what is accepted is what String() writes.
            expect(Number.isSafeInteger(result.value) && result.value >= 0).toBe(true);
            expect(String(result.value)).toBe(text);
          } else {
            expect((result.error as LogError).code).toBe('malformed');
            expect(result.error.message).toBe(uintMessage(name, text));
          }
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'reads back every safe integer it is given in canonical form',
    () => {
      fc.assert(
        fc.property(fc.oneof(fc.maxSafeNat(), fc.nat(1000), fc.constantFrom(0, MAX, MAX - 1)), (n) => {
          expect(parseUint(String(n), 'n')).toBe(n);
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'refuses negative, signed, padded, leading-zero, fractional, exponent, hex, beyond 2^53 − 1, non-ASCII and empty',
    () => {
      fc.assert(
        fc.property(uintMutant, (text) => {
          // `-0` is one mutant that has no other spelling: it is refused too.
          expect(refusal(() => parseUint(text, 'start'), LogError).message).toBe(uintMessage('start', text));
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );
});

describe('hashParam', () => {
  it(
    'accepts exactly the canonical padded base64 of 32 bytes',
    async () => {
      const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toBase64);
      const mutated = fc.tuple(hash, fc.nat(), fc.constantFrom('', ' ', '-', '_', '=', 'A', '/', '+', '\n', '%2B', '\u00e9')).map(([h, at, c]) => {
        const i = at % (h.length + 1);
        return `${h.slice(0, i)}${c}${h.slice(i + 1)}`;
      });
      const otherLengths = fc.uint8Array({ maxLength: 40 }).map(toBase64);
      await fc.assert(
        fc.asyncProperty(fc.oneof(hash, mutated, otherLengths, fc.string({ maxLength: 50 })), async (text) => {
          const reply = await get('/hash', [['hash', text]]);
          const canonical = /^[A-Za-z0-9+/]{43}=$/.test(text) && Buffer.from(text, 'base64').toString('base64') === text;
          if (canonical) {
            expect(reply.status).toBe(200);
            expect(reply.body).toEqual({ value: text });
          } else {
            expectRefusal(reply);
            expect(reply.body.error_message).toMatch(/^hash must be a 32-byte SHA-256 hash in standard base64 \(44 characters\), got "/);
          }
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it("explains a '+' that arrived as a space", async () => {
    const hash = toBase64(new Uint8Array(32).fill(0xfb)); // "+/v7..."
    const reply = await app.request(`/hash?hash=${hash}`); // not percent-encoded
    expect(reply.status).toBe(400);
    expect(((await reply.json()) as { error_message: string }).error_message).toContain("a '+' in a query string reads as a space");
  });
});

// ---- through a query string ----

const app = new Hono();
app.onError((error, c) =>
  onError(error, c, (e) => {
    throw e; // a 500 here is a bug in the parameter functions: fail the test with it
  }),
);
app.get('/uint', (c) => c.json({ value: uintParam(c, 'n') }));
app.get('/hash', (c) => c.json({ value: toBase64(hashParam(c, 'hash')) }));
app.get('/string', (c) => c.json({ value: stringParam(c, 's') }));

interface Answer {
  readonly status: number;
  readonly body: any;
  readonly text: string;
}

async function request(path: string): Promise<Answer> {
  const res = await app.request(path);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

/** GET `path` with these parameters, each name and value percent-encoded. */
function get(path: string, params: readonly (readonly [string, string])[]): Promise<Answer> {
  const query = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return request(`${path}?${query}`);
}

/** 400 with exactly the pinned error body (PROTOCOL §5). */
function expectRefusal(reply: Answer): void {
  expect(reply.status).toBe(400);
  expect(Object.keys(reply.body).sort()).toEqual(['error_code', 'error_message']);
  expect(reply.body.error_code).toBe('malformed');
  expect(typeof reply.body.error_message).toBe('string');
}

/** Well-formed text (percent-encoding needs it) other than the name being tested. */
const otherName = (name: string) => fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom(...HOSTILE_PIECES, `${name} `, name.toUpperCase(), `${name}[]`)).filter((k) => k !== name && !/\p{Cs}/u.test(k));

describe('parameters in a query string', () => {
  it(
    'given once: its value is read; missing or repeated: refused naming the parameter; other parameters are ignored',
    async () => {
      const value = fc.oneof(fc.maxSafeNat().map(String), decimalish, uintMutant).filter((v) => !/\p{Cs}/u.test(v));
      await fc.assert(
        fc.asyncProperty(fc.array(value, { maxLength: 3 }), fc.array(fc.tuple(otherName('n'), fc.string({ maxLength: 5 }).filter((v) => !/\p{Cs}/u.test(v))), { maxLength: 3 }), fc.nat(), async (values, others, at) => {
          const params: [string, string][] = [...others];
          for (const v of values) params.splice(at % (params.length + 1), 0, ['n', v]);
          const reply = await get('/uint', params);
          if (values.length === 0) {
            expectRefusal(reply);
            expect(reply.body.error_message).toBe('missing query parameter n');
          } else if (values.length > 1) {
            expectRefusal(reply);
            expect(reply.body.error_message).toBe(`query parameter n is given ${values.length} times; give it once`);
          } else if (String(Number(values[0])) === values[0] && Number.isSafeInteger(Number(values[0])) && Number(values[0]) >= 0) {
            expect(reply.status).toBe(200);
            expect(reply.body).toEqual({ value: Number(values[0]) });
          } else {
            expectRefusal(reply);
            expect(reply.body.error_message).toBe(uintMessage('n', values[0]!));
          }
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'raw query strings (bad percent-encoding, separators, fragments) get 200 or 400 with the pinned body, never 500',
    async () => {
      const raw = fc
        .array(fc.oneof(fc.constantFrom('n', 's', 'hash', '=', '&', ';', '%', '%2', '%zz', '%E0%A4%A', '%C0%80', '%ED%A0%80', '%00', '%2B', '+', '#', '?', '1', '0', '-'), fc.string({ maxLength: 4 })), { maxLength: 14 })
        .map((p) => p.join(''));
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('/uint', '/hash', '/string'), raw, async (path, query) => {
          let url: string;
          try {
            url = new URL(`${path}?${query}`, 'http://localhost').href;
          } catch {
            return; // not a URL any client could send
          }
          const reply = await request(url);
          if (reply.status === 200) return;
          expectRefusal(reply);
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it(
    'a text parameter is taken as it is, empty included, once',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 30 }), async (text) => {
          const reply = await get('/string', [['s', text]]);
          expect(reply.status).toBe(200);
          expect(reply.body).toEqual({ value: text });
          expect((await get('/string', [['s', text], ['s', text]])).body.error_message).toBe('query parameter s is given 2 times; give it once');
        }),
        { numRuns: parserRuns(200) },
      );
    },
    timeout,
  );
});
