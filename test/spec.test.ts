/**
 * Keeps spec/ honest: every route the app serves is in spec/openapi.yaml and nothing else is; every
 * error code and status the code can produce is documented, under the status it maps to; real
 * requests get only documented statuses, codes, media types and headers; and the worked examples in
 * spec/formats.md verify with the project's own code.
 *
 * No YAML library is installed, so openapi.yaml is read line by line. It keeps a regular layout for
 * that (described at its top): path keys at indent 2, operations at 4, `responses:` at 6, status
 * keys at 8, and `enum: [...]` right after `error_code:`.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createApp } from '../src/api/app.js';
import { statusOf } from '../src/api/errors.js';
import { Authenticator, createToken } from '../src/auth/tokens.js';
import { dataPaths, initLog, loadKeys, openStore } from '../src/cli/datadir.js';
import { verifyReceipt } from '../src/client/receipt.js';
import { Log } from '../src/log/log.js';
import { formatVerifierKey, logId, parseSignerKey, parseVerifierKey, verifyTreeHead } from '../src/note/index.js';
import { DEFAULT_RECORD_LIMITS, commitRecord, encodeLeaf, parseRecord } from '../src/record/index.js';
import type { ErrorCode } from '../src/util/errors.js';
import { fromBase64, toBase64, toHex, utf8 } from '../src/util/bytes.js';
import { tempDir } from './harness.js';

const read = (relative: string): string => readFileSync(new URL(relative, import.meta.url), 'utf8');
const OPENAPI = read('../spec/openapi.yaml');
const FORMATS = read('../spec/formats.md');

// ---- what the code defines ----

/** The members of the ErrorCode union, read from its source so that a new code cannot be missed. */
function errorCodes(): ErrorCode[] {
  const block = /export type ErrorCode =([\s\S]*?);/.exec(read('../src/util/errors.ts'));
  if (!block) throw new Error('cannot find the ErrorCode union in src/util/errors.ts');
  const codes = [...block[1]!.matchAll(/'(\w+)'/g)].map((m) => m[1]! as ErrorCode);
  expect(codes.length).toBeGreaterThan(10);
  return codes;
}

/** Every HTTP status written in src/api/errors.ts (the code → status table and the 500 branch). */
function apiStatuses(): string[] {
  return [...new Set([...read('../src/api/errors.ts').matchAll(/\b([1-5][0-9]{2})\b/g)].map((m) => m[1]!))].sort();
}

/** The status of a code as the API sends it; `internal` is the 500 of onError. */
const statusFor = (code: string): number => (code === 'internal' ? 500 : statusOf(code as ErrorCode));

// ---- what the spec says ----

interface StatusDoc {
  codes: string[];
  /** Documented response headers, with their `const` value when there is one. */
  headers: Map<string, string | undefined>;
  media: string[];
  ref?: string;
  lastHeader?: string;
}

interface Spec {
  /** "GET /path" → status → documentation. */
  operations: Map<string, Map<string, StatusDoc>>;
  /** The enum of the Error schema's error_code. */
  errorEnum: string[];
}

const METHOD_RE = /^(get|put|post|delete|patch|head|options|trace):$/;
const flowList = (line: string): string[] => {
  const m = /^enum: \[(.*)\]$/.exec(line);
  if (!m) throw new Error(`expected a one-line enum, got ${line}`);
  return m[1]!.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
};

function parseOpenApi(text: string): Spec {
  const operations = new Map<string, Map<string, StatusDoc>>();
  const componentResponses = new Map<string, StatusDoc>();
  let errorEnum: string[] = [];
  let top = '';
  let path: string | undefined;
  let op: Map<string, StatusDoc> | undefined;
  let inResponses = false;
  let doc: StatusDoc | undefined;
  let section = '';
  let name = '';
  let previous = '';
  const fresh = (): StatusDoc => ({ codes: [], headers: new Map(), media: [] });

  const inside = (d: StatusDoc, content: string): void => {
    let m: RegExpExecArray | null;
    if ((m = /^\$ref: '#\/components\/responses\/(\w+)'$/.exec(content))) d.ref = m[1]!;
    if (content.startsWith('enum:') && previous === 'error_code:') d.codes.push(...flowList(content));
    if ((m = /^(Retry-After|WWW-Authenticate|Cache-Control):$/.exec(content))) {
      d.headers.set(m[1]!, undefined);
      d.lastHeader = m[1]!;
    }
    if ((m = /^const: (.+)$/.exec(content)) && d.lastHeader !== undefined) d.headers.set(d.lastHeader, m[1]!);
    if ((m = /^([a-z]+\/[a-z0-9.+-]+):$/.exec(content))) d.media.push(m[1]!);
  };

  for (const line of text.split('\n')) {
    const content = line.trim();
    if (content === '' || content.startsWith('#')) continue;
    const indent = line.length - line.trimStart().length;
    if (indent === 0) {
      top = content.replace(/:.*$/, '');
      doc = undefined;
    } else if (top === 'paths') {
      if (indent === 2) {
        const m = /^(\/\S*):$/.exec(content);
        if (!m) throw new Error(`openapi.yaml: a path key at indent 2 must be "/...:", got ${content}`);
        path = m[1]!;
        op = undefined;
        doc = undefined;
      } else if (indent === 4) {
        const m = METHOD_RE.exec(content);
        if (!m || path === undefined) throw new Error(`openapi.yaml: expected an operation under ${path}, got ${content}`);
        op = new Map();
        operations.set(`${m[1]!.toUpperCase()} ${path}`, op);
        inResponses = false;
        doc = undefined;
      } else if (indent === 6) {
        inResponses = content === 'responses:';
        doc = undefined;
      } else if (indent === 8 && inResponses) {
        const m = /^'([1-5][0-9]{2})':$/.exec(content);
        if (!m || !op) throw new Error(`openapi.yaml: a status key at indent 8 must be quoted, like '200':, got ${content}`);
        doc = fresh();
        op.set(m[1]!, doc);
      } else if (doc) {
        inside(doc, content);
      }
    } else if (top === 'components') {
      if (indent === 2) {
        section = content.replace(/:$/, '');
        doc = undefined;
      } else if (indent === 4) {
        name = content.replace(/:$/, '');
        doc = section === 'responses' ? fresh() : undefined;
        if (doc) componentResponses.set(name, doc);
      } else if (doc) {
        inside(doc, content);
      } else if (section === 'schemas' && name === 'Error' && content.startsWith('enum:') && previous === 'error_code:') {
        errorEnum = flowList(content);
      }
    }
    previous = content;
  }
  for (const statuses of operations.values()) {
    for (const [status, d] of statuses) {
      if (d.ref === undefined) continue;
      const target = componentResponses.get(d.ref);
      if (!target) throw new Error(`openapi.yaml: no components/responses/${d.ref}`);
      statuses.set(status, target);
    }
  }
  return { operations, errorEnum };
}

const spec = parseOpenApi(OPENAPI);

/** The app registers the four tlog-tiles forms as one wildcard route; other path parameters are Hono's `:name`. */
const routeKeyOf = (operation: string): string => operation.replace(/^(\w+) \/tile\/.*$/, '$1 /tile/*').replace(/\{(\w+)\}/g, ':$1');

const TEMPLATE_PARTS: Record<string, string> = {
  '{L}': '(?:0|[1-9][0-9]*)',
  '{N}': '(?:x[0-9]{3}/){0,5}[0-9]{3}',
  '{W}': '[1-9][0-9]*',
  '{index}': '[^/]+',
};

/** The documented operation a concrete request falls under, or undefined. */
function operationFor(method: string, url: string): { key: string; statuses: Map<string, StatusDoc> } | undefined {
  const pathname = new URL(url, 'http://x').pathname;
  const matches = [...spec.operations].filter(([key]) => {
    const [m, template] = key.split(' ') as [string, string];
    if (m !== method) return false;
    const source = template.replace(/[.]/g, '\\.').replace(/\{(?:[LNW]|index)\}/g, (p) => TEMPLATE_PARTS[p]!);
    return new RegExp(`^${source}$`).test(pathname);
  });
  if (matches.length > 1) throw new Error(`${method} ${pathname} matches ${matches.length} documented paths`);
  const [match] = matches;
  return match && { key: match[0], statuses: match[1] };
}

// ---- the app, built as test/harness.ts builds it ----

interface Built {
  app: Hono;
  log: Log;
  tokens: { submitter: string; auditor: string };
  setStopping(): void;
  remove(): Promise<void>;
}

async function buildApp(): Promise<Built> {
  const dir = await tempDir('sealtrail-spec-');
  await initLog(dir.path, 'spec.example/log');
  const paths = dataPaths(dir.path);
  const setup = await openStore(paths.db);
  const tokens = {
    submitter: await createToken(setup, { name: 'alice', role: 'submitter', createdAt: 0 }),
    auditor: await createToken(setup, { name: 'carol', role: 'auditor', createdAt: 0 }),
  };
  await setup.close();
  const { signer, verifier, verifierKey } = await loadKeys(dir.path);
  const store = await openStore(paths.db);
  // Small limits, so that refusals can be provoked cheaply. (A batch larger than a pass or the pool
  // is still taken whole by an empty pool; test/durability.test.ts covers pushback under load.)
  const log = await Log.open({ store, signer, verifier, sequencer: { maxBatchEntries: 8, maxPendingEntries: 5, maxDelayMs: 1 } });
  const auth = await Authenticator.load(store);
  let stopping = false;
  const app = createApp({
    log,
    auth,
    verifierKey,
    logId: toBase64(logId(signer.publicKey)),
    limits: { ...DEFAULT_RECORD_LIMITS, maxRecordBytes: 2048 },
    maxBatchBytes: 16384,
    report: (e) => {
      throw e;
    },
    isStopping: () => stopping,
  });
  return {
    app,
    log,
    tokens,
    setStopping: () => {
      stopping = true;
    },
    remove: async () => {
      await log.close();
      await dir.remove();
    },
  };
}

describe('spec/openapi.yaml and the routes of createApp', () => {
  let built: Built;
  beforeAll(async () => {
    built = await buildApp();
  });
  afterAll(() => built.remove());

  const routeKeys = (): Set<string> =>
    new Set(
      built.app.routes
        // Middleware (app.use) is not an endpoint.
        .filter((r) => !(r.method === 'ALL' && (r.path === '*' || r.path === '/*')))
        .map((r) => `${r.method} ${r.path}`),
    );

  it('the spec is parsed: paths, operations and statuses', () => {
    expect(spec.operations.size).toBeGreaterThanOrEqual(15);
    for (const [key, statuses] of spec.operations) {
      expect(statuses.size, `${key} documents no response`).toBeGreaterThan(0);
      expect([...statuses.keys()].some((s) => /^2\d\d$/.test(s)), `${key} documents no success status`).toBe(true);
    }
  });

  it('documents every route the app registers', () => {
    const documented = new Set([...spec.operations.keys()].map(routeKeyOf));
    const missing = [...routeKeys()].filter((k) => !documented.has(k));
    expect(missing, 'routes served but not in spec/openapi.yaml').toEqual([]);
  });

  it('names no path the app does not serve', () => {
    const served = routeKeys();
    const extra = [...spec.operations.keys()].filter((k) => !served.has(routeKeyOf(k)));
    expect(extra, 'operations in spec/openapi.yaml that the app does not serve').toEqual([]);
  });

  it('documents the four tlog-tiles forms under /tile/', () => {
    const tiles = [...spec.operations.keys()].filter((k) => k.startsWith('GET /tile/')).sort();
    expect(tiles).toEqual(['GET /tile/entries/{N}', 'GET /tile/entries/{N}.p/{W}', 'GET /tile/{L}/{N}', 'GET /tile/{L}/{N}.p/{W}']);
    for (const [path, form] of [
      ['/tile/0/000', 'GET /tile/{L}/{N}'],
      ['/tile/3/x001/x234/067', 'GET /tile/{L}/{N}'],
      ['/tile/0/x001/234.p/17', 'GET /tile/{L}/{N}.p/{W}'],
      ['/tile/entries/005', 'GET /tile/entries/{N}'],
      ['/tile/entries/x001/000.p/255', 'GET /tile/entries/{N}.p/{W}'],
    ] as const) {
      expect(operationFor('GET', path)?.key, path).toBe(form);
    }
  });
});

describe('error codes and statuses', () => {
  const documented: { operation: string; status: string; code: string }[] = [];
  for (const [operation, statuses] of spec.operations) {
    for (const [status, d] of statuses) for (const code of d.codes) documented.push({ operation, status, code });
  }

  it('every ErrorCode of src/util/errors.ts is documented on some operation and in the Error schema', () => {
    const codes = errorCodes();
    const used = new Set(documented.map((d) => d.code));
    expect(codes.filter((c) => !used.has(c)), 'codes no operation documents').toEqual([]);
    expect([...spec.errorEnum].sort()).toEqual([...codes, 'internal'].sort());
  });

  it('every documented code is a real one, under the status the API maps it to', () => {
    const known = new Set<string>([...errorCodes(), 'internal']);
    for (const { operation, status, code } of documented) {
      expect(known.has(code), `${operation} ${status}: unknown error_code ${code}`).toBe(true);
      expect(String(statusFor(code)), `${operation}: ${code} is documented under ${status}`).toBe(status);
    }
  });

  it('every status in src/api/errors.ts appears in the spec', () => {
    const statuses = apiStatuses();
    expect(statuses).toEqual(expect.arrayContaining(['400', '401', '403', '404', '409', '413', '500', '503']));
    for (const code of errorCodes()) expect(statuses).toContain(String(statusOf(code)));
    const inSpec = new Set([...spec.operations.values()].flatMap((s) => [...s.keys()]));
    expect(statuses.filter((s) => !inSpec.has(s)), 'statuses never documented').toEqual([]);
  });

  it('401 responses document WWW-Authenticate and 503 error responses Retry-After', () => {
    for (const [operation, statuses] of spec.operations) {
      const unauthorized = statuses.get('401');
      if (unauthorized) expect(unauthorized.headers.has('WWW-Authenticate'), operation).toBe(true);
      const unavailable = statuses.get('503');
      if (unavailable && unavailable.codes.length > 0) expect(unavailable.headers.has('Retry-After'), operation).toBe(true);
    }
  });

  it('the table in spec/formats.md gives every code with its status', () => {
    const at = FORMATS.indexOf('<!-- spec-test: error-table -->');
    expect(at).toBeGreaterThan(0);
    const rows = new Map<string, string>();
    for (const line of FORMATS.slice(at).split('\n').slice(1)) {
      const m = /^\| `(\w+)` \| ([0-9]{3}) \|/.exec(line);
      if (m) rows.set(m[1]!, m[2]!);
      else if (rows.size > 0 && !line.startsWith('|')) break;
    }
    expect([...rows.keys()].sort()).toEqual([...errorCodes(), 'internal'].sort());
    for (const [code, status] of rows) expect(status, code).toBe(String(statusFor(code)));
  });
});

describe('real requests get only what the spec documents', () => {
  let built: Built;
  let leafHash0 = '';
  beforeAll(async () => {
    built = await buildApp();
  });
  afterAll(() => built.remove());

  interface Probe {
    readonly method?: 'GET' | 'POST';
    readonly path: string;
    readonly token?: string;
    readonly headers?: Record<string, string>;
    readonly body?: string;
  }

  /** Sends the request and checks status, error_code, media type and headers against the spec. */
  async function probe(p: Probe, expected: { status: number; code?: string }): Promise<Response> {
    const method = p.method ?? (p.body === undefined ? 'GET' : 'POST');
    const headers = new Headers(p.headers);
    if (p.token !== undefined) headers.set('authorization', `Bearer ${p.token}`);
    const res = await built.app.request(p.path, { method, headers, ...(p.body === undefined ? {} : { body: p.body }) });
    const text = await res.clone().text();
    const label = `${method} ${p.path} -> ${res.status} ${text.slice(0, 200)}`;
    expect(res.status, label).toBe(expected.status);
    const op = operationFor(method, p.path);
    expect(op, `${label}: no documented operation`).toBeDefined();
    const d = op!.statuses.get(String(res.status));
    expect(d, `${label}: status not documented for ${op!.key}`).toBeDefined();
    const type = res.headers.get('content-type') ?? '';
    expect(d!.media.some((m) => type.startsWith(m)), `${label}: content-type ${type} not in ${d!.media.join(', ')}`).toBe(true);
    if (type.startsWith('application/json') && res.status >= 400 && d!.codes.length > 0) {
      const body = JSON.parse(text) as { error_code: string; error_message: string };
      expect(Object.keys(body).sort()).toEqual(['error_code', 'error_message']);
      expect(d!.codes, `${label}: error_code not documented`).toContain(body.error_code);
      if (expected.code !== undefined) expect(body.error_code, label).toBe(expected.code);
    }
    for (const [name, value] of d!.headers) {
      expect(res.headers.get(name), `${label}: header ${name}`).not.toBeNull();
      if (value !== undefined) expect(res.headers.get(name), `${label}: header ${name}`).toBe(value);
    }
    if (res.status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
    if (res.status === 503 && expected.code !== undefined) expect(res.headers.get('retry-after'), label).toMatch(/^[1-9][0-9]*$/);
    return res;
  }

  const records = (n: number, tag: string): string => JSON.stringify(Array.from({ length: n }, (_, i) => ({ tag, i })));

  it('on the empty log', async () => {
    await probe({ path: '/ct/v1/get-entries?start=0&end=0' }, { status: 400, code: 'startUnknown' });
    await probe({ path: '/ct/v1/get-proof-by-hash?hash=' + encodeURIComponent(toBase64(new Uint8Array(32))) + '&tree_size=0' }, { status: 400, code: 'treeSizeUnknown' });
    await probe({ path: '/tile/0/000.p/1' }, { status: 404, code: 'notFound' });
    await probe({ path: '/ct/v1/get-sth-consistency?first=0&second=0' }, { status: 200 });
  });

  it('add-entry', async () => {
    const p = (body: string, token: string | null = built.tokens.submitter, headers: Record<string, string> = {}): Probe => ({
      path: '/ct/v1/add-entry',
      body,
      headers,
      ...(token === null ? {} : { token }),
    });
    const ok = await probe(p('{"event_id":"e1","v":1}'), { status: 200 });
    leafHash0 = ((await ok.json()) as { leaf_hash: string }).leaf_hash;
    await probe(p('{"v":1, "event_id":"e1"}'), { status: 200 });
    await probe(p('{"event_id":"e1","v":2}'), { status: 409, code: 'conflict' });
    await probe(p('{"a":1}', null), { status: 401, code: 'unauthorized' });
    await probe(p('{"a":1}', 'st_' + 'A'.repeat(43)), { status: 401, code: 'unauthorized' });
    await probe(p('{"a":1}', built.tokens.auditor), { status: 403, code: 'forbidden' });
    await probe(p('{}'), { status: 400, code: 'malformed' });
    await probe(p('{"a":1,"a":2}'), { status: 400, code: 'malformed' });
    await probe(p('{"n":1e20}'), { status: 400, code: 'malformed' });
    await probe(p('{"a":1}', built.tokens.submitter, { 'idempotency-key': 'a b' }), { status: 400, code: 'malformed' });
    await probe(p(JSON.stringify({ big: 'x'.repeat(3000) })), { status: 413, code: 'tooLarge' });
  });

  it('add-entries', async () => {
    const p = (body: string, token: string | null = built.tokens.submitter, headers: Record<string, string> = {}): Probe => ({
      path: '/ct/v1/add-entries',
      body,
      headers,
      ...(token === null ? {} : { token }),
    });
    await probe(p(records(2, 'a')), { status: 200 });
    await probe(p('[]'), { status: 400, code: 'malformed' });
    await probe(p('{"a":1}'), { status: 400, code: 'malformed' });
    await probe(p(records(1, 'b'), built.tokens.submitter, { 'idempotency-key': 'k' }), { status: 400, code: 'malformed' });
    await probe(p('[{"event_id":"e1","v":3}]'), { status: 409, code: 'conflict' });
    await probe(p(records(1, 'e'), null), { status: 401, code: 'unauthorized' });
    await probe(p(records(1, 'e'), built.tokens.auditor), { status: 403, code: 'forbidden' });
    await probe(p(JSON.stringify([{ big: 'x'.repeat(3000) }])), { status: 413, code: 'tooLarge' });
    await probe(p(JSON.stringify(Array.from({ length: 9 }, () => ({ s: 'y'.repeat(2000) })))), { status: 413, code: 'tooLarge' });
  });

  it('RFC 6962 reads', async () => {
    expect(built.log.head.size).toBe(3);
    const hash = encodeURIComponent(leafHash0);
    await probe({ path: '/ct/v1/get-sth' }, { status: 200 });
    await probe({ path: '/ct/v1/get-sth-consistency?first=1&second=3' }, { status: 200 });
    await probe({ path: '/ct/v1/get-sth-consistency?first=4&second=4' }, { status: 400, code: 'firstUnknown' });
    await probe({ path: '/ct/v1/get-sth-consistency?first=1&second=4' }, { status: 400, code: 'secondUnknown' });
    await probe({ path: '/ct/v1/get-sth-consistency?first=2&second=1' }, { status: 400, code: 'secondBeforeFirst' });
    await probe({ path: '/ct/v1/get-sth-consistency?first=01&second=1' }, { status: 400, code: 'malformed' });
    await probe({ path: '/ct/v1/get-sth-consistency?first=1&first=1&second=1' }, { status: 400, code: 'malformed' });
    await probe({ path: `/ct/v1/get-proof-by-hash?hash=${hash}&tree_size=3` }, { status: 200 });
    await probe({ path: `/ct/v1/get-proof-by-hash?hash=abc&tree_size=3` }, { status: 400, code: 'malformed' });
    await probe({ path: `/ct/v1/get-proof-by-hash?hash=${hash}&tree_size=4` }, { status: 400, code: 'treeSizeUnknown' });
    const other = encodeURIComponent(toBase64(new Uint8Array(32).fill(7)));
    await probe({ path: `/ct/v1/get-proof-by-hash?hash=${other}&tree_size=3` }, { status: 404, code: 'hashUnknown' });
    await probe({ path: '/ct/v1/get-entries?start=0&end=9' }, { status: 200 });
    await probe({ path: '/ct/v1/get-entries?start=2&end=1' }, { status: 400, code: 'endBeforeStart' });
    await probe({ path: '/ct/v1/get-entries?start=3&end=3' }, { status: 400, code: 'startUnknown' });
    await probe({ path: '/ct/v1/get-entries?start=0' }, { status: 400, code: 'malformed' });
    await probe({ path: '/ct/v1/get-entry-and-proof?leaf_index=2&tree_size=3' }, { status: 200 });
    await probe({ path: '/ct/v1/get-entry-and-proof?leaf_index=3&tree_size=3' }, { status: 400, code: 'leafIndexUnknown' });
    await probe({ path: '/ct/v1/get-entry-and-proof?leaf_index=0&tree_size=0' }, { status: 400, code: 'treeSizeUnknown' });
    await probe({ path: '/ct/v1/get-entry-and-proof?leaf_index=0&tree_size=9007199254740992' }, { status: 400, code: 'malformed' });
  });

  it('checkpoint, tiles and sealtrail endpoints', async () => {
    await probe({ path: '/checkpoint' }, { status: 200 });
    await probe({ path: '/tile/0/000.p/3' }, { status: 200 });
    await probe({ path: '/tile/0/000.p/4' }, { status: 404, code: 'notFound' });
    await probe({ path: '/tile/entries/000.p/3' }, { status: 200 });
    await probe({ path: '/tile/0/000' }, { status: 404, code: 'notFound' });
    await probe({ path: '/tile/entries/000' }, { status: 404, code: 'notFound' });
    await probe({ path: '/tile/0/000.p/256' }, { status: 404, code: 'notFound' });
    await probe({ path: '/tile/0/x000/001' }, { status: 404, code: 'notFound' });
    await probe({ path: '/tile/64/000' }, { status: 404, code: 'notFound' });
    await probe({ path: '/v1/log' }, { status: 200 });
    await probe({ path: '/healthz' }, { status: 200 });
    await probe({ path: '/readyz' }, { status: 200 });
  });

  it('full tiles, once 256 entries are logged', async () => {
    while (built.log.head.size < 256) {
      const n = Math.min(4, 256 - built.log.head.size);
      const res = await built.app.request('/ct/v1/add-entries', {
        method: 'POST',
        headers: { authorization: `Bearer ${built.tokens.submitter}` },
        body: records(n, `fill-${built.log.head.size}`),
      });
      expect(res.status).toBe(200);
    }
    await probe({ path: '/tile/0/000' }, { status: 200 });
    await probe({ path: '/tile/entries/000' }, { status: 200 });
    await probe({ path: '/tile/0/000.p/255' }, { status: 200 });
    await probe({ path: '/tile/1/000.p/1' }, { status: 200 });
  });

  it('record reads', async () => {
    const { auditor, submitter } = built.tokens;
    await probe({ path: '/v1/records/0', token: auditor }, { status: 200 });
    await probe({ path: '/v1/records/0', token: submitter }, { status: 403, code: 'forbidden' });
    await probe({ path: '/v1/records/0' }, { status: 401, code: 'unauthorized' });
    await probe({ path: '/v1/records/01', token: auditor }, { status: 400, code: 'malformed' });
    await probe({ path: '/v1/records/99999', token: auditor }, { status: 404, code: 'notFound' });
    await probe({ path: '/v1/records?event_id=e1', token: auditor }, { status: 200 });
    await probe({ path: '/v1/records?event_id=nope', token: auditor }, { status: 404, code: 'notFound' });
    await probe({ path: '/v1/records', token: auditor }, { status: 400, code: 'malformed' });
    await probe({ path: '/v1/records?event_id=e1', token: submitter }, { status: 403, code: 'forbidden' });
    await probe({ path: '/v1/records?event_id=e1' }, { status: 401, code: 'unauthorized' });
  });

  it('live stream refusals (the 200 is an endless event stream: test/stream.test.ts)', async () => {
    const { auditor, submitter } = built.tokens;
    await probe({ path: '/v1/stream?filter=' + encodeURIComponent('a=b OR'), token: auditor }, { status: 400, code: 'malformed' });
    await probe({ path: '/v1/stream?filter=a%3Db' }, { status: 401, code: 'unauthorized' });
    await probe({ path: '/v1/stream', token: 'st_' + 'A'.repeat(43) }, { status: 401, code: 'unauthorized' });
    await probe({ path: '/v1/stream', token: submitter }, { status: 403, code: 'forbidden' });
  });

  it('unknown paths and methods are 404 notFound', async () => {
    for (const [method, path] of [['GET', '/nope'], ['GET', '/checkpoint/'], ['POST', '/ct/v1/get-sth'], ['GET', '/ct/v1/add-entry']] as const) {
      const res = await built.app.request(path, { method });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error_code: string }).error_code).toBe('notFound');
    }
  });

  it('shutting down', async () => {
    built.setStopping();
    await built.log.drain();
    await probe({ path: '/ct/v1/add-entry', token: built.tokens.submitter, body: '{"a":1}' }, { status: 503, code: 'shutdown' });
    await probe({ path: '/ct/v1/add-entries', token: built.tokens.submitter, body: '[{"a":1}]' }, { status: 503, code: 'shutdown' });
    await probe({ path: '/readyz' }, { status: 503 });
    await probe({ path: '/v1/stream' }, { status: 503, code: 'shutdown' });
  });
});

describe('the worked examples of spec/formats.md', () => {
  /** The fenced block right after `<!-- spec-test: name -->`. */
  function block(name: string): string {
    const m = new RegExp(`<!-- spec-test: ${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(FORMATS);
    if (!m) throw new Error(`spec/formats.md has no block "${name}"`);
    return m[1]!;
  }

  const vector = {
    body: '{"action": "login", "zone": {"b": [1, 2.50, true], "a": null}}',
    salts: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  };

  it('the annotated leaf is the known-answer leaf', () => {
    const annotated = block('leaf-hex')
      .split('\n')
      .map((line) => line.split(/\s{2,}/)[0]!.replace(/ /g, ''))
      .join('');
    const fields = parseRecord(utf8(vector.body));
    const { digest } = commitRecord(fields, () => Buffer.from(vector.salts, 'hex'));
    expect(annotated).toBe(toHex(encodeLeaf({ kind: 'record', time: 1763900000000, submitter: 'alice', record: digest })));
  });

  it('the example receipt verifies offline, and openapi.yaml uses the same one', () => {
    const verifierKey = block('example-verifier-key').trim();
    const signerLine = /signer key: +(PRIVATE\+KEY\+audit\.example\/log\+\S+)/.exec(FORMATS);
    const signer = parseSignerKey(signerLine![1]!);
    expect(formatVerifierKey(signer.name, 1, signer.publicKey)).toBe(verifierKey);
    const record = block('example-record-0');
    expect(record).toBe(vector.body);
    const receipt = JSON.parse(block('example-receipt-0')) as Record<string, unknown>;
    const verified = verifyReceipt(receipt, utf8(record), verifierKey);
    expect(verified).toMatchObject({ origin: 'audit.example/log', leafIndex: 0, treeSize: 2, submitter: 'alice' });
    for (const value of [receipt['leaf_hash'], receipt['leaf_input'], JSON.stringify(receipt['checkpoint'])]) {
      expect(OPENAPI).toContain(value as string);
    }
    expect(OPENAPI).toContain(verifierKey);
    expect(OPENAPI).toContain(toBase64(logId(signer.publicKey)));
  });

  it('the example STH verifies, and openapi.yaml uses the same one', () => {
    const sth = JSON.parse(block('example-sth')) as { tree_size: number; timestamp: number; sha256_root_hash: string; tree_head_signature: string };
    const verifier = parseVerifierKey(block('example-verifier-key').trim());
    expect(verifyTreeHead(verifier, sth.timestamp, sth.tree_size, fromBase64(sth.sha256_root_hash)!, fromBase64(sth.tree_head_signature)!)).toBe(true);
    expect(OPENAPI).toContain(`tree_head_signature: ${sth.tree_head_signature}`);
  });
});
