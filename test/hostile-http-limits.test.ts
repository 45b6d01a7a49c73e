/**
 * Size limits and token management over real HTTP (issue #5, PROTOCOL §5, spec/formats.md §3.2 and
 * §21): every body limit at the limit, and one and two bytes over, with and without Content-Length
 * (a chunked body is counted as it arrives); the default limits of 1 MiB per record and 1000
 * records per batch; generated token creations and revocations, and retention runs.
 *
 * Every answer is below 500 with the pinned error body, over a limit `413 tooLarge` naming it, and
 * no log line ever holds a token, those created here included.
 *
 * SEALTRAIL_LONG=1 runs ~2,000 cases per property instead of ~100 (src/testing/runs.ts).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Choices, Obj, spellBody, type Json } from '../src/testing/json-model.js';
import { httpRuns, longTimeout } from '../src/testing/runs.js';
import { startLog } from './harness.js';
import type { TestLog } from './harness.js';
import { expectAnswer, jsonSoup, logCapture, MARK, seed, send } from './hostile.js';

const timeout = longTimeout(30 * 60_000);
const runs = httpRuns();
const capture = logCapture();

// ---- limits ----

describe('body size limits: at the limit accepted, one byte over 413 naming the limit', () => {
  let small: TestLog;
  beforeAll(async () => {
    small = await startLog({ limits: { maxRecordBytes: 4096 }, maxBatchBytes: 65_536, logger: capture.logger, principals: { alice: 'submitter', root: 'admin' } });
    capture.secrets.push(...Object.values(small.tokens));
  });
  afterAll(() => small.destroy());

  /** A body of exactly `size` bytes: a valid record followed by white space. */
  const padded = (size: number, open = '', close = ''): string => {
    const core = `${open}{"${MARK}":"v"}${close}`;
    return `${core}${' '.repeat(size - core.length)}`;
  };
  /** The same bytes, streamed without a Content-Length (chunked). */
  const streamed = (text: string): RequestInit => ({
    body: new ReadableStream({
      start(controller) {
        const bytes = new TextEncoder().encode(text);
        for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.slice(i, i + 1000));
        controller.close();
      },
    }),
    duplex: 'half',
  } as RequestInit);

  it(
    'add-entry, add-entries, erasure, tokens and retention, with and without Content-Length',
    async () => {
      const cases: [string, string, number, string, string, string][] = [
        ['/ct/v1/add-entry', 'alice', 4096, '', '', 'the record is larger than the limit of 4096 bytes'],
        ['/ct/v1/add-entries', 'alice', 65_536, '[', ']', 'the batch is larger than the limit of 65536 bytes'],
        ['/v1/records/0/erase', 'root', 65_536, '', '', 'the erasure request is larger than the limit of 65536 bytes'],
        ['/v1/tokens', 'root', 65_536, '', '', 'the token request is larger than the limit of 65536 bytes'],
        ['/v1/retention/run', 'root', 1024, '', '', 'the retention request is larger than the limit of 1024 bytes'],
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...cases), fc.integer({ min: -2, max: 2 }), fc.boolean(), async ([path, who, limit, open, close, message], delta, chunked) => {
          const text = padded(limit + delta, open, close);
          const init: RequestInit = { method: 'POST', headers: { authorization: `Bearer ${small.tokens[who] ?? ''}` }, ...(chunked ? streamed(text) : { body: text }) };
          const reply = await send(`${small.url}${path}`, init);
          const code = expectAnswer(reply);
          if (delta > 0) {
            expect(code).toBe('tooLarge');
            expect(reply.json.error_message).toBe(message);
          } else {
            expect(code).not.toBe('tooLarge');
          }
        }),
        { numRuns: httpRuns(40, 400) },
      );
      expect((await send(`${small.url}/healthz`)).status).toBe(200);
    },
    timeout,
  );

  it('add-entry at the default limit of 1 MiB: exactly 1048576 bytes accepted, one more refused', async () => {
    const t = await startLog({ logger: capture.logger, principals: { alice: 'submitter' } });
    capture.secrets.push(...Object.values(t.tokens));
    onTestFinished(() => t.destroy());
    const limit = 1_048_576;
    const exact = `{"${MARK}":"${'x'.repeat(limit - MARK.length - 7)}"}`;
    expect(Buffer.byteLength(exact)).toBe(limit);
    const ok = await send(`${t.url}/ct/v1/add-entry`, { method: 'POST', headers: { authorization: `Bearer ${t.tokens['alice']!}` }, body: exact });
    expect(ok.status).toBe(200);
    const over = await send(`${t.url}/ct/v1/add-entry`, { method: 'POST', headers: { authorization: `Bearer ${t.tokens['alice']!}` }, body: `${exact} ` });
    expect(expectAnswer(over)).toBe('tooLarge');
    expect(over.json.error_message).toBe('the record is larger than the limit of 1048576 bytes');
  });

  it('add-entries: 1000 records accepted, 1001 refused naming the limit', async () => {
    const t = await startLog({ logger: capture.logger, principals: { alice: 'submitter' } });
    capture.secrets.push(...Object.values(t.tokens));
    onTestFinished(() => t.destroy());
    const batch = (n: number): string => `[${Array.from({ length: n }, (_, i) => `{"i":${i}}`).join(',')}]`;
    const ok = await send(`${t.url}/ct/v1/add-entries`, { method: 'POST', headers: { authorization: `Bearer ${t.tokens['alice']!}` }, body: batch(1000) });
    expect(ok.status).toBe(200);
    expect(ok.json.receipts).toHaveLength(1000);
    const over = await send(`${t.url}/ct/v1/add-entries`, { method: 'POST', headers: { authorization: `Bearer ${t.tokens['alice']!}` }, body: batch(1001) });
    expect(expectAnswer(over)).toBe('malformed');
    expect(over.json.error_message).toBe('record 1000: a batch holds at most 1000 records');
  });
});

// ---- token management: on a log of its own, since revocations change who may do what ----

describe('token management', () => {
  let own: TestLog;
  beforeAll(async () => {
    own = await startLog({ logger: capture.logger, principals: { root: 'admin', alice: 'submitter', scoped: { role: 'admin', tenants: ['t1'] } } });
    capture.secrets.push(...Object.values(own.tokens));
  });
  afterAll(() => own.destroy());

  it(
    'POST /v1/tokens, DELETE /v1/tokens?name= and /v1/tokens/<fingerprint>: any body, name or fingerprint gets an answer, never 5xx',
    async () => {
      // Never the name or a fingerprint prefix of the one admin for every tenant: it must stay.
      const rootFingerprint = createHash('sha256').update(own.tokens['root']!).digest('hex').slice(0, 12);
      const names = fc.oneof(fc.constantFrom('gw-1', 'x', '', ' a', 'a'.repeat(65), '__proto__', 'gw-mark'), fc.string({ maxLength: 8 })).filter((n) => n !== 'root');
      const valid = fc
        .tuple(fc.nat(50), fc.constantFrom('submitter', 'auditor', 'admin'), fc.boolean(), seed)
        .map(([n, role, scoped, s]) => spellBody(new Obj([['name', `gw-${n}`], ['role', role], ...(scoped && role !== 'submitter' ? [['tenants', ['t1']] as const] : [])]), new Choices(s)));
      const creation = fc.oneof(
        { arbitrary: valid, weight: 2 },
        fc.tuple(names, fc.constantFrom<Json>('submitter', 'auditor', 'admin', 'root', 1), fc.option(fc.constantFrom<Json>(['t1'], [], [1], 't1', ['t1', 't1']), { nil: undefined }), seed).map(([name, role, tenants, s]) =>
          spellBody(new Obj([['name', name], ['role', role], ...(tenants === undefined ? [] : [['tenants', tenants] as const])]), new Choices(s)),
        ),
        jsonSoup,
      );
      const action = fc.oneof(
        creation.map((body) => ({ method: 'POST', path: '/v1/tokens', body })),
        names.map((name) => ({ method: 'DELETE', path: `/v1/tokens?name=${encodeURIComponent(name)}`, body: undefined })),
        fc.oneof(fc.constantFrom('0000', 'abc', 'zzzz', '', '%2F', MARK), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 12 })).filter((fp) => !rootFingerprint.startsWith(fp.toLowerCase())).map((fp) => ({ method: 'DELETE', path: `/v1/tokens/${fp}`, body: undefined })),
        fc.constant({ method: 'GET', path: '/v1/tokens', body: undefined }),
      );
      const who = fc.constantFrom('root', 'root', 'root', 'scoped', 'alice', 'none');
      // Two creations that must succeed run first, whatever is generated after them, so that the
      // log-line check below always has new tokens to look for.
      const sure = (name: string): [{ method: string; path: string; body: string | undefined }, string] => [
        { method: 'POST', path: '/v1/tokens', body: JSON.stringify({ name, role: 'auditor' }) },
        'root',
      ];
      let created = 0;
      await fc.assert(
        fc.asyncProperty(action, who, async ({ method, path, body }, by) => {
          const headers = by === 'none' ? undefined : { authorization: `Bearer ${own.tokens[by]!}` };
          const reply = await send(`${own.url}${path}`, { method, ...(headers ? { headers } : {}), ...(body === undefined ? {} : { body }) });
          const code = expectAnswer(reply);
          if (reply.status === 201) {
            created += 1;
            capture.secrets.push(reply.json.token as string);
          }
          if (by === 'none') expect(code).toBe('unauthorized');
          else if (by !== 'root' && code !== 'notFound') expect(code).toBe('forbidden');
        }),
        { numRuns: runs, examples: [sure('gw-sure-1'), sure('gw-sure-2')] },
      );
      expect((await send(`${own.url}/healthz`)).status).toBe(200);
      // Tokens were created (and will be looked for in the log lines below).
      expect(created).toBeGreaterThanOrEqual(2);
      // The last admin for every tenant is never revoked, so it can still manage tokens.
      expect((await send(`${own.url}/v1/tokens`, { headers: { authorization: `Bearer ${own.tokens['root']!}` } })).status).toBe(200);
    },
    timeout,
  );

  it('POST /v1/retention/run with any body: 400 for a bad body, 409 without a policy, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(jsonSoup, fc.constantFrom('', '{}', '{"dry_run":true}', '{"dry_run":1}', '{"__proto__":1}')), async (body) => {
        const reply = await send(`${own.url}/v1/retention/run`, { method: 'POST', headers: { authorization: `Bearer ${own.tokens['root']!}` }, body });
        expect(['malformed', 'conflict']).toContain(expectAnswer(reply));
      }),
      { numRuns: httpRuns(50, 500) },
    );
  });
});
describe('after all of the above', () => {
  it('no log line holds a token, the Authorization header or a record value', () => {
    capture.expectClean(runs);
  });
});
