/**
 * Hostile requests to the log over real HTTP, on a real LevelDB (issue #5, PROTOCOL §5): generated
 * bodies for add-entry, add-entries and erasure; generated Authorization, Idempotency-Key and
 * X-Request-Id headers, through fetch and byte for byte through a raw socket; generated query
 * strings for every GET with parameters; generated tile paths and record indexes.
 *
 * Every answer is below 500; every 4xx carries exactly the pinned body `{"error_code",
 * "error_message"}` with the status its code maps to; where the parser's verdict is known (a record,
 * a batch, a tile path, an erasure body, a parameter), the answer is that verdict, message and all.
 * The server keeps answering, and its log lines never hold a token or a record value. Size limits
 * and token management: hostile-http-limits.test.ts; the witness: hostile-http-witness.test.ts.
 *
 * SEALTRAIL_LONG=1 runs ~2,000 cases per property instead of ~100 (src/testing/runs.ts).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseErasure } from '../src/api/erase.js';
import { parseUint } from '../src/api/params.js';
import { FilterError, parseFilter } from '../src/client/filter.js';
import { parseTilePath, TilePathError } from '../src/merkle/index.js';
import { parseRecord, parseRecordBatch } from '../src/record/index.js';
import { LogError } from '../src/util/errors.js';
import { HOSTILE_PIECES, outcome } from '../src/testing/hostile.js';
import { Choices, Obj, spellBody, type Json } from '../src/testing/json-model.js';
import { httpRuns, longTimeout } from '../src/testing/runs.js';
import { http, startLog } from './harness.js';
import type { TestLog } from './harness.js';
import {
  authArb,
  authVerdict,
  batchBody,
  expectAnswer,
  expectRefusal,
  expectRequestId,
  headersOf,
  headerText,
  idempotencyKey,
  jsonSoup,
  logCapture,
  MARK,
  rawRequest,
  recordBody,
  requestId,
  seed,
  send,
  trimmed,
  type Who,
} from './hostile.js';

const timeout = longTimeout(30 * 60_000);
const runs = httpRuns();

// ---- the log under test ----

const capture = logCapture();
let t: TestLog;
let roles: Record<string, Who>;
/** Field names of the records logged before the tests, by index. */
let logged: string[][];

beforeAll(async () => {
  t = await startLog({ logger: capture.logger, principals: { alice: 'submitter', carol: 'auditor', root: 'admin', scoped: { role: 'admin', tenants: ['t1'] } } });
  capture.secrets.push(...Object.values(t.tokens));
  roles = { [t.tokens['alice']!]: 'submitter', [t.tokens['carol']!]: 'auditor', [t.tokens['root']!]: 'admin', [t.tokens['scoped']!]: 'admin' };
  logged = [];
  for (let i = 0; i < 5; i++) {
    const record = { event_id: `seed-${i}`, tenant_id: 't1', [`${MARK}_name`]: `${MARK}-seed-${i}`, n: i, nested: { a: [i] } };
    const reply = await http(`${t.url}/ct/v1/add-entry`, { method: 'POST', token: t.tokens['alice']!, body: JSON.stringify(record) });
    expect(reply.status).toBe(200);
    logged.push(Object.keys(record));
  }
});

afterAll(() => t.destroy());

const alive = async (): Promise<void> => {
  expect((await send(`${t.url}/healthz`)).status).toBe(200);
};

describe('submissions', () => {
  it(
    'add-entry: the answer is what the headers and the record parser say, for any body and headers',
    async () => {
      await fc.assert(
        fc.asyncProperty(authArb(t.tokens, t.tokens['alice']!), idempotencyKey, requestId, recordBody, async (auth, key, rid, body) => {
          const headers = headersOf({ authorization: auth, 'idempotency-key': key, 'x-request-id': rid, 'content-type': 'application/json' });
          fc.pre(headers !== undefined);
          const reply = await send(`${t.url}/ct/v1/add-entry`, { method: 'POST', headers, body });
          expectRequestId(reply, rid);
          const code = expectAnswer(reply);
          const who = authVerdict(auth, roles);
          if (who === 401) return void expect(code).toBe('unauthorized');
          if (who !== 'submitter') return void expect(code).toBe('forbidden');
          const parsed = outcome(() => parseRecord(body), LogError);
          if (!parsed.ok) return expectRefusal(reply, parsed.error as LogError);
          if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(trimmed(key))) {
            return expectRefusal(reply, new LogError('malformed', 'Idempotency-Key must be 1 to 255 visible ASCII characters'));
          }
          // A key (or event_id) already used for another record: 409; otherwise a receipt.
          expect([200, 409]).toContain(reply.status);
          if (reply.status === 200) expect(typeof reply.json.leaf_index).toBe('number');
        }),
        { numRuns: runs },
      );
      await alive();
    },
    timeout,
  );

  it(
    'add-entries: the answer is what the batch parser says; an Idempotency-Key is refused',
    async () => {
      await fc.assert(
        fc.asyncProperty(authArb(t.tokens, t.tokens['alice']!), fc.option(fc.constantFrom('k', ''), { nil: undefined, freq: 8 }), requestId, batchBody, async (auth, key, rid, body) => {
          const headers = headersOf({ authorization: auth, 'idempotency-key': key, 'x-request-id': rid });
          fc.pre(headers !== undefined);
          const reply = await send(`${t.url}/ct/v1/add-entries`, { method: 'POST', headers, body });
          expectRequestId(reply, rid);
          const code = expectAnswer(reply);
          const who = authVerdict(auth, roles);
          if (who === 401) return void expect(code).toBe('unauthorized');
          if (who !== 'submitter') return void expect(code).toBe('forbidden');
          if (key !== undefined) {
            return expectRefusal(reply, new LogError('malformed', "add-entries takes no Idempotency-Key header: each record's event_id serves as its key"));
          }
          const parsed = outcome(() => parseRecordBatch(body), LogError);
          if (!parsed.ok) return expectRefusal(reply, parsed.error as LogError);
          expect([200, 409]).toContain(reply.status);
          if (reply.status === 200) expect(reply.json.receipts).toHaveLength(parsed.value.length);
        }),
        { numRuns: runs },
      );
      await alive();
    },
    timeout,
  );
});

describe('headers only a raw client sends', () => {
  it(
    'empty, repeated, Latin-1 and malformed header lines: never 5xx, always the pinned body; two Authorization headers are refused',
    async () => {
      const alice = t.tokens['alice']!;
      const carol = t.tokens['carol']!;
      const authLine = fc.oneof(
        fc.constantFrom(`Bearer ${alice}`, `Bearer ${carol}`, '', 'Bearer', `Bearer ${alice}\u00a0`, `Bearer \u00ff${alice}`, `Bearer ${alice}\u007f`, `   Bearer ${alice}   `, `Bearer ${alice.slice(0, -1)}\u00e9`),
        headerText,
      );
      const line = fc.oneof(
        authLine.map((v) => ['Authorization', v] as const),
        authLine.map((v) => ['AUTHORIZATION', v] as const),
        fc.oneof(headerText, fc.constantFrom('', 'k1', `${MARK}-key`)).map((v) => ['Idempotency-Key', v] as const),
        fc.oneof(headerText, fc.constantFrom('', 'id-1')).map((v) => ['X-Request-Id', v] as const),
        fc.constantFrom(['X-Folded', 'a\r\n  b'] as const, ['Bad Name', 'x'] as const, ['X-Nul', 'a\u0000b'] as const, ['', 'x'] as const, ['X-Cr', 'a\rb'] as const),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(line, { maxLength: 5 }), async (lines) => {
          const body = Buffer.from(`{"raw":"${MARK}"}`);
          const head = Buffer.from(
            `POST /ct/v1/add-entry HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: ${body.length}\r\n` +
              lines.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
              '\r\n',
            'latin1',
          );
          const reply = await rawRequest(t.url, head, body);
          const code = expectAnswer(reply);
          for (const token of Object.values(t.tokens)) expect(reply.text).not.toContain(token);
          // Lines Node's parser refuses end the request with its 400. Two Authorization headers
          // reach the API joined by ", ", which is no "Bearer <token>": refused, never one of them picked.
          const broken = lines.some(([name, value]) => name === '' || name.includes(' ') || /[\u0000\r\n\u007f]/.test(value));
          if (broken) return void expect(reply.status).toBe(400);
          const auths = lines.filter(([name]) => name.toLowerCase() === 'authorization');
          if (auths.length > 1) return void expect(code).toBe('unauthorized');
          const who = authVerdict(auths[0]?.[1], roles);
          if (who === 401) expect(code).toBe('unauthorized');
          else if (who !== 'submitter') expect(code).toBe('forbidden');
          else expect([200, 400, 409]).toContain(reply.status);
        }),
        { numRuns: runs },
      );
      await alive();
    },
    timeout,
  );
});

// ---- reads ----

type Kind = 'uint' | 'hash' | 'text';
interface Endpoint {
  readonly path: string;
  readonly params: readonly (readonly [string, Kind])[];
  readonly token?: string;
}

/** Text that encodeURIComponent can write (no lone surrogate). */
const WELL_FORMED = (text: string): boolean => !/\p{Cs}/u.test(text);
const uintValue = fc.oneof(
  fc.nat(8).map(String),
  fc.maxSafeNat().map(String),
  fc.constantFrom('', '-1', '+1', ' 1', '01', '1e0', '0x1', '9007199254740992', '1.0', MARK),
  fc.constantFrom(...HOSTILE_PIECES.filter(WELL_FORMED)),
);
const valueOf = (kind: Kind): fc.Arbitrary<string> =>
  kind === 'uint' ? uintValue : kind === 'hash' ? fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64')), uintValue, fc.string({ maxLength: 50 })) : fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(`seed-1`, MARK, 'a=b', 'result=block OR x="y"', '(', 'a!=b', '"'));
const wellFormed = (kind: Kind, value: string): boolean =>
  kind === 'uint' ? outcome(() => parseUint(value, 'x'), LogError).ok : kind === 'hash' ? /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, 'base64').toString('base64') === value : true;

describe('reads with parameters', () => {
  it(
    'every GET with query parameters: missing, repeated or malformed is 400 malformed; well-formed is never malformed',
    async () => {
      const endpoints: readonly Endpoint[] = [
        { path: '/ct/v1/get-sth-consistency', params: [['first', 'uint'], ['second', 'uint']] },
        { path: '/ct/v1/get-proof-by-hash', params: [['hash', 'hash'], ['tree_size', 'uint']] },
        { path: '/ct/v1/get-entries', params: [['start', 'uint'], ['end', 'uint']] },
        { path: '/ct/v1/get-entry-and-proof', params: [['leaf_index', 'uint'], ['tree_size', 'uint']] },
        { path: '/v1/records', params: [['start', 'uint'], ['end', 'uint'], ['tree_size', 'uint']], token: 'carol' },
        { path: '/v1/records', params: [['event_id', 'text']], token: 'carol' },
      ];
      const caseArb = fc.constantFrom(...endpoints).chain((e) =>
        fc.tuple(
          fc.constant(e),
          fc.tuple(...e.params.map(([, kind]) => fc.oneof({ arbitrary: fc.array(valueOf(kind), { minLength: 1, maxLength: 1 }), weight: 4 }, fc.array(valueOf(kind), { maxLength: 2 })))),
          fc.array(fc.tuple(fc.constantFrom('x', 'first ', 'HASH', MARK, '', 'tree_size[]'), fc.string({ maxLength: 4 })), { maxLength: 2 }),
        ),
      );
      await fc.assert(
        fc.asyncProperty(caseArb, async ([endpoint, values, others]) => {
          const pairs: [string, string][] = [];
          endpoint.params.forEach(([name], i) => values[i]!.forEach((v) => pairs.push([name, v])));
          pairs.push(...others);
          const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
          const headers = endpoint.token ? { authorization: `Bearer ${t.tokens[endpoint.token]!}` } : undefined;
          const reply = await send(`${t.url}${endpoint.path}?${query}`, headers ? { headers } : {});
          const code = expectAnswer(reply);
          const fine = endpoint.params.every(([, kind], i) => values[i]!.length === 1 && wellFormed(kind, values[i]![0]!));
          // Well-formed parameters meet the log's own refusals (firstUnknown, hashUnknown, ...), never malformed.
          if (fine) expect(code).not.toBe('malformed');
          else expect(code).toBe('malformed');
        }),
        { numRuns: runs },
      );
      await alive();
    },
    timeout,
  );

  it(
    '/v1/stream?filter=: a filter that parses opens the stream for an auditor; one that does not, or two, are 400; a filter without a token is 401',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(valueOf('text'), { maxLength: 2 }), fc.boolean(), async (filters, withToken) => {
          const query = filters.map((f) => `filter=${encodeURIComponent(f)}`).join('&');
          const headers = withToken ? { authorization: `Bearer ${t.tokens['carol']!}` } : undefined;
          const reply = await send(`${t.url}/v1/stream?${query}`, headers ? { headers } : {});
          const code = expectAnswer(reply);
          if (filters.length === 0) return void expect(reply.status).toBe(200);
          if (!withToken) return void expect(code).toBe('unauthorized');
          // Given once, like every parameter: two filters are not silently one.
          if (filters.length > 1) return expectRefusal(reply, new LogError('malformed', `query parameter filter is given ${filters.length} times; give it once`));
          const parsed = outcome(() => parseFilter(filters[0]!), FilterError);
          if (parsed.ok) expect(reply.status).toBe(200);
          else expectRefusal(reply, new LogError('malformed', `filter: ${parsed.error.message}`));
        }),
        { numRuns: runs },
      );
      await alive();
    },
    timeout,
  );

  it('regression: a second filter is refused, not silently ignored', async () => {
    // Found by the property above: /v1/stream read the first filter and dropped the rest.
    const reply = await send(`${t.url}/v1/stream?filter=a%3D1&filter=b%3D2`, { headers: { authorization: `Bearer ${t.tokens['carol']!}` } });
    expectRefusal(reply, new LogError('malformed', 'query parameter filter is given 2 times; give it once'));
  });

  it(
    'tile paths: the answer is what parseTilePath says of the path the server receives',
    async () => {
      const piece = fc.constantFrom('tile', 'entries', '0', '1', '63', '64', '000', '001', 'x000', 'x001', '.p', '5', '255', '256', '00', '', '..', '%2F', '%30', 'x', ' ', '?a', '#f', '\\');
      const path = fc.oneof(
        fc.array(piece, { minLength: 1, maxLength: 6 }).map((p) => p.join('/')),
        fc.tuple(fc.constantFrom('tile/0/', 'tile/entries/', 'tile/1/', 'tile/0/x001/'), fc.array(piece, { maxLength: 3 })).map(([a, p]) => `${a}${p.join('/')}`),
        fc.constantFrom('tile/0/000.p/5', 'tile/0/000.p/6', 'tile/entries/000.p/5', 'tile/0/000', 'tile/1/000.p/1', 'tile/0/000.p/0', 'tile/0/000.p/256', 'tile/0/x000/000.p/1'),
      );
      await fc.assert(
        fc.asyncProperty(path, async (p) => {
          const url = new URL(`${t.url}/${p}`);
          const reply = await send(url.href);
          const code = expectAnswer(reply);
          const served = url.pathname.slice(1);
          if (!served.startsWith('tile/')) return void expect(code).toBe('notFound');
          const parsed = outcome(() => parseTilePath(served), TilePathError);
          if (!parsed.ok) return expectRefusal(reply, new LogError('notFound', parsed.error.message));
          if (reply.status === 200) {
            expect(reply.headers.get('content-type')).toBe('application/octet-stream');
          } else {
            expect(code).toBe('notFound');
            expect(reply.json.error_message).toMatch(/is beyond the current tree \(size \d+\)$/);
          }
        }),
        { numRuns: runs },
      );
      await alive();
    },
    timeout,
  );
});

// ---- record reads and erasure ----

const segment = fc.oneof(fc.nat(7).map(String), fc.constantFrom('', '-1', '01', '1e0', '%31', '%2F', '..', '9007199254740992', ' 1', MARK, '0x1'), fc.constantFrom(...HOSTILE_PIECES.filter(WELL_FORMED)).filter((p) => !/[/?#%\\]/.test(p)));

/** The path segment as Hono hands it to the handler: percent-decoded where that is possible. */
const decoded = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

describe('record reads and erasure', () => {
  it(
    'GET /v1/records/<index>: an index that is not a canonical decimal is 400 naming the rule',
    async () => {
      await fc.assert(
        fc.asyncProperty(segment, authArb(t.tokens, t.tokens['carol']!), async (seg, auth) => {
          const headers = headersOf({ authorization: auth });
          fc.pre(headers !== undefined);
          const url = new URL(`${t.url}/v1/records/${seg}`);
          const reply = await send(url.href, { headers });
          const code = expectAnswer(reply);
          const who = authVerdict(auth, roles);
          if (!url.pathname.startsWith('/v1/records/')) return; // normalised into another route
          const raw = url.pathname.slice('/v1/records/'.length);
          if (raw === '' || raw.includes('/')) return;
          const index = decoded(raw);
          if (who === 401) return void expect(code).toBe('unauthorized');
          if (who === 'submitter') return void expect(code).toBe('forbidden');
          const parsed = outcome(() => parseUint(index, 'index'), LogError);
          if (!parsed.ok) return expectRefusal(reply, parsed.error as LogError);
          expect([200, 404]).toContain(reply.status);
        }),
        { numRuns: runs },
      );
      await alive();
    },
    timeout,
  );

  it(
    'POST /v1/records/<index>/erase: the answer is what the index, the body parser and the record say',
    async () => {
      const names = fc.constantFrom('n', 'nested', `${MARK}_name`, 'event_id', 'tenant_id', 'missing', '__proto__');
      const erasureBody = fc.oneof(
        fc.tuple(fc.uniqueArray(names, { minLength: 1, maxLength: 3 }), fc.string({ minLength: 1, maxLength: 10 }), seed).map(([fields, reason, s]) => spellBody(new Obj([['fields', fields], ['reason', `${MARK} ${reason}`]]), new Choices(s))),
        fc.tuple(fc.array(fc.tuple(fc.constantFrom('fields', 'reason', 'x', '__proto__'), fc.constantFrom<Json>([], ['n'], 'r', 1, null, new Obj([]))), { minLength: 1, maxLength: 3 }), seed).map(([m, s]) => spellBody(new Obj(m.filter((x, i) => m.findIndex((y) => y[0] === x[0]) === i)), new Choices(s))),
        jsonSoup,
      );
      await fc.assert(
        fc.asyncProperty(segment, authArb(t.tokens, t.tokens['root']!), erasureBody, async (seg, auth, text) => {
          const headers = headersOf({ authorization: auth });
          fc.pre(headers !== undefined);
          const url = new URL(`${t.url}/v1/records/${seg}/erase`);
          const body = new TextEncoder().encode(text);
          const reply = await send(url.href, { method: 'POST', headers, body });
          const code = expectAnswer(reply);
          if (!url.pathname.startsWith('/v1/records/') || !url.pathname.endsWith('/erase')) return;
          const raw = url.pathname.slice('/v1/records/'.length, -'/erase'.length);
          if (raw === '' || raw.includes('/')) return;
          const who = authVerdict(auth, roles);
          if (who === 401) return void expect(code).toBe('unauthorized');
          if (who !== 'admin') return void expect(code).toBe('forbidden');
          const index = outcome(() => parseUint(decoded(raw), 'index'), LogError);
          if (!index.ok) return expectRefusal(reply, index.error as LogError);
          const parsed = outcome(() => parseErasure(body), LogError);
          if (!parsed.ok) return expectRefusal(reply, parsed.error as LogError);
          if (index.value >= t.log.head.size) return void expect(code).toBe('notFound');
          // The records logged before the tests: their fields are known. Later entries are generated.
          const known = logged[index.value];
          if (known) expect(reply.status).toBe(parsed.value.fields.every((f) => known.includes(f)) ? 200 : 400);
        }),
        { numRuns: runs },
      );
      await alive();
    },
    timeout,
  );
});

// ---- last: what the logs hold ----

describe('after all of the above', () => {
  it('the server still answers, and took a well-formed record', async () => {
    await alive();
    const reply = await http(`${t.url}/ct/v1/add-entry`, { method: 'POST', token: t.tokens['alice']!, body: JSON.stringify({ after: 'all' }) });
    expect(reply.status).toBe(200);
  });

  it('no log line holds a token, the Authorization header or a record value', () => {
    capture.expectClean(runs);
  });
});
