/**
 * Helpers for the hostile-input HTTP tests (issue #5): what every answer of the log must look like
 * (PROTOCOL §5: below 500, and every 4xx with exactly the pinned body), generated headers and bodies,
 * a raw-socket client for requests no client library would send, and a log capture that fails if a
 * token or a record value ever reaches a log line.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { expect } from 'vitest';
import { statusOf } from '../src/api/errors.js';
import { createLogger } from '../src/observability/index.js';
import type { Logger } from '../src/observability/index.js';
import type { ErrorCode, LogError } from '../src/util/errors.js';
import { HOSTILE_PIECES } from '../src/testing/hostile.js';
import { Choices, Obj, recordArb, spellBody } from '../src/testing/json-model.js';

export const seed = fc.integer();
/** Put into record values, field names and query values; must never reach a log line. */
export const MARK = 'hostileMark7q';

// ---- what an answer must look like ----

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

/** One request; a streaming 200 (/v1/stream) is cancelled once its head has arrived. */
export async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, headers: res.headers, text: '', json: undefined };
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Never 5xx; a 4xx has exactly the pinned body, whose code maps to that status. Returns the code. */
export function expectAnswer(reply: Answer): ErrorCode | undefined {
  expect(reply.status, reply.text).toBeLessThan(500);
  if (reply.status < 400) return undefined;
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(reply.json !== null && typeof reply.json === 'object' && !Array.isArray(reply.json)).toBe(true);
  expect(Object.keys(reply.json).sort()).toEqual(['error_code', 'error_message']);
  expect(typeof reply.json.error_code).toBe('string');
  expect(typeof reply.json.error_message).toBe('string');
  expect(reply.json.error_message.length).toBeGreaterThan(0);
  expect(statusOf(reply.json.error_code as ErrorCode)).toBe(reply.status);
  if (reply.status === 401) expect(reply.headers.get('www-authenticate')).toBe('Bearer');
  return reply.json.error_code as ErrorCode;
}

/** The answer is exactly this refusal (the parser's own verdict). */
export function expectRefusal(reply: Answer, error: LogError): void {
  expect(expectAnswer(reply)).toBe(error.code);
  expect(reply.json.error_message).toBe(error.message);
}

// ---- generated headers ----

/** Header values fetch can send: Latin-1 without controls (not even DEL); fetch trims the ends. */
export const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 80 });
export const trimmed = (value: string): string => value.replace(/^[\t ]+|[\t ]+$/g, '');

export type Who = 'submitter' | 'auditor' | 'admin';
/** An Authorization header, right or in one of the ways clients get it wrong; undefined: none. */
export function authArb(tokens: Record<string, string>, right: string): fc.Arbitrary<string | undefined> {
  const token = fc.constantFrom(...Object.values(tokens));
  return fc.oneof(
    { arbitrary: fc.constant(`Bearer ${right}`), weight: 6 },
    token.map((t) => `Bearer ${t}`),
    token.chain((t) => fc.constantFrom(`bearer ${t}`, `BEARER ${t}`, `Bearer  ${t}`, `Bearer\t${t}`, `Basic ${t}`, t, `Bearer ${t} x`, `Bearer ${t}x`, `Bearer ${t.slice(0, -1)}`, `Bearer ${t.toUpperCase()}`, 'Bearer', 'Bearer ', '')),
    fc.constant(undefined),
    headerText.map((h) => `Bearer ${h}`),
    headerText,
  );
}

/** What spec/formats.md §13 says of a header: the principal's role, or the status of the refusal. */
export function authVerdict(header: string | undefined, roles: Record<string, Who>): Who | 401 {
  if (header === undefined) return 401;
  const match = /^bearer ([^\s]+)$/i.exec(trimmed(header));
  return (match && roles[match[1]!]) || 401;
}

export const idempotencyKey = fc.option(fc.oneof(fc.integer({ min: 0, max: 20 }).map((n) => `key-${n}`), headerText, fc.constantFrom('', ' ', 'k'.repeat(255), 'k'.repeat(256), 'é', 'a b')), { nil: undefined });
export const requestId = fc.option(fc.oneof(headerText, fc.constantFrom('', 'x'.repeat(64), 'x'.repeat(65), 'id-1', '\u00e9t\u00e9')), { nil: undefined });

/** The headers, or undefined when fetch cannot send one of them (the raw-socket test sends those). */
export function headersOf(parts: Record<string, string | undefined>): Headers | undefined {
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(parts)) {
      if (value === undefined) continue;
      // fetch trims values, and then refuses an empty one.
      if (trimmed(value) === '') return undefined;
      headers.set(name, value);
    }
    return headers;
  } catch {
    return undefined;
  }
}

/** The X-Request-Id of the answer: the one sent when it is sane, otherwise a fresh UUID. */
export function expectRequestId(reply: Answer, sent: string | undefined): void {
  const id = reply.headers.get('x-request-id');
  if (sent !== undefined && /^[\x21-\x7e]{1,64}$/.test(trimmed(sent))) expect(id).toBe(trimmed(sent));
  else expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
}

// ---- generated bodies ----

/** A record with the marker in a field name and a value, so that any leak of it shows. */
export const markedRecord = fc.tuple(recordArb(4, 3), fc.nat(1000)).map(([r, n]) => new Obj([...r.members.filter(([k]) => k !== `${MARK}_f`), [`${MARK}_f`, `${MARK}-value-${n}`]]));

export const jsonSoup = fc
  .array(fc.oneof(fc.constantFrom(...'{}[]",:\\ 0123456789-+.eE'.split(''), '"a":', `"${MARK}":`, '"event_id":"e1"', '\\u0000', '\\ud800', '1e999', 'true', 'null'), fc.constantFrom(...HOSTILE_PIECES)), { maxLength: 30 })
  .map((p) => p.join(''));

const mutate = (text: string, edits: readonly (readonly [number, number])[]): Uint8Array => {
  const bytes = [...new TextEncoder().encode(text)];
  for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
  return new Uint8Array(bytes);
};
const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 });

export const recordBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.tuple(markedRecord, seed).map(([r, s]) => new TextEncoder().encode(spellBody(r, new Choices(s)))),
  jsonSoup.map((s) => new TextEncoder().encode(s)),
  fc.tuple(markedRecord, seed, edits).map(([r, s, e]) => mutate(spellBody(r, new Choices(s)), e)),
  fc.uint8Array({ maxLength: 60 }),
);

export const batchBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.tuple(fc.array(markedRecord, { minLength: 1, maxLength: 4 }), seed).map(([rs, s]) => new TextEncoder().encode(`[${rs.map((r) => spellBody(r, new Choices(s))).join(',')}]`)),
  fc.tuple(fc.array(markedRecord, { minLength: 1, maxLength: 4 }), seed, edits).map(([rs, s, e]) => mutate(`[${rs.map((r) => spellBody(r, new Choices(s))).join(',')}]`, e)),
  jsonSoup.map((s) => new TextEncoder().encode(`[${s}]`)),
  fc.constantFrom('[]', '{}', '[1]', `[${'{"a":1},'.repeat(1000)}{"a":1}]`).map((s) => new TextEncoder().encode(s)),
);

// ---- a raw client, and the log capture ----

/** One request written byte for byte (no client library in the way), and its answer. */
export function rawRequest(url: string, head: Buffer, body: Buffer): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const lines = all.subarray(0, split).toString('latin1').split('\r\n');
      const headers = new Headers();
      for (const line of lines.slice(1)) headers.append(line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim());
      let rest = all.subarray(split + 4);
      if (headers.get('transfer-encoding') === 'chunked') {
        const parts: Buffer[] = [];
        for (;;) {
          const eol = rest.indexOf('\r\n');
          const size = parseInt(rest.subarray(0, eol).toString(), 16);
          if (!(size > 0)) break;
          parts.push(rest.subarray(eol + 2, eol + 2 + size));
          rest = rest.subarray(eol + 4 + size);
        }
        rest = Buffer.concat(parts);
      }
      const text = rest.toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, text, json });
    });
    // Not end(): a half-closed connection may be dropped before the answer; Connection: close ends it.
    socket.write(Buffer.concat([head, body]));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
  });
}

/**
 * A logger whose lines are kept, and the secrets that must never appear in them: every token of the
 * logs under test (and those created during the tests), the marker put in record values and names,
 * and the Authorization scheme.
 */
export function logCapture(): { readonly logger: Logger; readonly lines: string[]; readonly secrets: string[]; expectClean(minLines: number): void } {
  const lines: string[] = [];
  const secrets: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  return {
    logger,
    lines,
    secrets,
    expectClean(minLines) {
      expect(lines.length).toBeGreaterThan(minLines);
      const text = lines.join('\n');
      for (const secret of [...secrets, MARK, 'Bearer', 'bearer']) expect(text.includes(secret), `a log line holds ${secret.slice(0, 12)}…`).toBe(false);
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        // Request lines: route pattern, status, timing, id and principal; nothing of the body or query.
        if (entry['msg'] === 'request') {
          expect(Object.keys(entry).sort()).toEqual(['duration_ms', 'level', 'method', 'msg', 'pid', 'req_id', 'route', 'status', 'time', ...('principal' in entry ? ['principal'] : [])].sort());
        }
      }
    },
  };
}
