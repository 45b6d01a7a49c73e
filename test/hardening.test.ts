/**
 * Hardening (issue 5 items 3 to 6; spec/formats.md §22), against real servers on port 0: `sealtrail
 * serve` as a process for the limits, the connection cap and the rate limits (configured with
 * `--config`), raw `net` sockets for slow and oversize requests, real HTTP for the security headers,
 * and real files for the modes of secret files.
 */
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../src/api/ratelimit.js';
import { DEFAULT_SERVER_LIMITS } from '../src/api/server.js';
import { ConfigError, parseServeConfig } from '../src/cli/config.js';
import { parseVerifierKey } from '../src/note/index.js';
import { readSecretFile, writeSecretFile } from '../src/util/secret-file.js';
import { auditRecord, http, postRecord, startLog, tempDir } from './harness.js';
import type { TestLog } from './harness.js';
import { run, serve } from './process.js';
import type { Server } from './process.js';

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

/** What came back on a raw connection: the bytes, when the server closed it, and the parsed answer. */
interface RawAnswer {
  readonly text: string;
  readonly status: number | undefined;
  readonly headers: Map<string, string>;
  readonly body: string;
  /** Milliseconds from connecting to the server closing the connection. */
  readonly closedAfterMs: number;
}

/**
 * Connects, lets `drive` write (and keep writing), and resolves when the server closes the
 * connection (or after `timeoutMs`, with whatever came).
 */
function raw(url: string, drive: (socket: Socket) => void, timeoutMs = 15_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let timers: NodeJS.Timeout[] = [];
    const finish = (): void => {
      timers.forEach(clearTimeout);
      timers = [];
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine ?? '')?.[1];
      resolve({ text, status: status === undefined ? undefined : Number(status), headers, body, closedAfterMs: Date.now() - started });
    };
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', finish);
    timers.push(setTimeout(() => socket.destroy(), timeoutMs));
    socket.on('connect', () => drive(socket));
  });
}

/** Writes `piece` every `everyMs` until the connection closes: a slowloris client. */
function dribble(socket: Socket, piece: string, everyMs: number): void {
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) clearInterval(timer);
    else socket.write(piece);
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

function expectSecurityHeaders(get: (name: string) => string | null | undefined, label: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(get(name), `${label}: ${name}`).toBe(value);
  expect(get('strict-transport-security'), `${label}: no HSTS over plain HTTP`).toBeFalsy();
}

/** A log made with the CLI: init, then tokens of the given names and roles. */
async function makeLog(data: string, principals: Record<string, string>): Promise<Record<string, string>> {
  expect((await run(['init', '--data', data, '--origin', 'hardening.example/log'])).code).toBe(0);
  const tokens: Record<string, string> = {};
  for (const [name, role] of Object.entries(principals)) {
    const r = await run(['token', 'create', '--data', data, '--role', role, '--name', name]);
    expect(r.code, r.stderr).toBe(0);
    tokens[name] = r.stdout.trimEnd().split('\n').pop()!;
  }
  return tokens;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('the HTTP server: limits and its own refusals', () => {
  let dir: { path: string; remove(): Promise<void> };
  let server: Server;
  let tokens: Record<string, string>;
  beforeAll(async () => {
    dir = await tempDir('sealtrail-hardening-');
    const data = join(dir.path, 'data');
    tokens = await makeLog(data, { alice: 'submitter', bob: 'submitter', carol: 'auditor' });
    const config = join(dir.path, 'log.json');
    await writeFile(
      config,
      JSON.stringify({
        http: { headers_timeout_seconds: 0.5, request_timeout_seconds: 1, keep_alive_timeout_seconds: 0.5, max_header_bytes: 4096 },
        rate_limits: { submitter: { per_second: 5, burst: 10 }, auditor: { per_second: 0 } },
      }),
    );
    server = await serve(['--data', data, '--config', config]);
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    await dir.remove();
  });

  it('answers headers over the limit with 431 headersTooLarge and the pinned body, then closes', async () => {
    const a = await raw(server.url, (s) => s.write(`GET /ct/v1/get-sth HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(5000)}\r\n\r\n`));
    expect(a.status).toBe(431);
    expect(a.headers.get('content-type')).toBe('application/json');
    expect(a.headers.get('connection')).toBe('close');
    expect(JSON.parse(a.body)).toEqual({
      error_code: 'headersTooLarge',
      error_message: 'the request line and headers exceed the limit of 4096 bytes; send fewer or shorter headers',
    });
    expectSecurityHeaders((n) => a.headers.get(n), '431');
    expect(a.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers what is not HTTP/1.1, and a request without Host, with 400 malformed and the pinned body', async () => {
    const garbage = await raw(server.url, (s) => s.write('HELLO THERE\r\n\r\n'));
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.body)).toEqual({ error_code: 'malformed', error_message: 'the request is not valid HTTP/1.1 (HPE_INVALID_METHOD); see RFC 9112' });
    expectSecurityHeaders((n) => garbage.headers.get(n), '400 garbage');

    const noHost = await raw(server.url, (s) => s.write('GET /ct/v1/get-sth HTTP/1.1\r\nConnection: close\r\n\r\n'));
    expect(noHost.status).toBe(400);
    expect(JSON.parse(noHost.body)).toMatchObject({ error_code: 'malformed', error_message: expect.stringMatching(/host header/i) });
    expectSecurityHeaders((n) => noHost.headers.get(n), '400 no Host');
  });

  it('cuts off a client that dribbles its headers (slowloris) with 408 requestTimeout at the headers timeout', async () => {
    const a = await raw(server.url, (s) => {
      s.write('GET /ct/v1/get-sth HTTP/1.1\r\nHost: x\r\n');
      dribble(s, 'X-Slow: 1\r\n', 100);
    });
    expect(a.status).toBe(408);
    expect(JSON.parse(a.body)).toMatchObject({ error_code: 'requestTimeout', error_message: expect.stringMatching(/headers must arrive within 0.5 s/) });
    expectSecurityHeaders((n) => a.headers.get(n), '408');
    // 0.5 s, checked every 0.125 s; generous above for a loaded machine.
    expect(a.closedAfterMs).toBeGreaterThanOrEqual(450);
    expect(a.closedAfterMs).toBeLessThan(5000);
  });

  it('cuts off a client that dribbles its body with 408 requestTimeout at the request timeout', async () => {
    const a = await raw(server.url, (s) => {
      s.write(`POST /ct/v1/add-entry HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens['bob']}\r\nContent-Length: 1000\r\n\r\n{"a":"`);
      dribble(s, 'x', 100);
    });
    expect(a.status).toBe(408);
    expect(JSON.parse(a.body).error_code).toBe('requestTimeout');
    expect(a.closedAfterMs).toBeGreaterThanOrEqual(950);
    expect(a.closedAfterMs).toBeLessThan(6000);
  });

  it('closes a connection that sends nothing at the headers timeout', async () => {
    const a = await raw(server.url, () => undefined);
    expect(a.closedAfterMs).toBeGreaterThanOrEqual(450);
    expect(a.closedAfterMs).toBeLessThan(5000);
    expect(a.status === undefined || a.status === 408).toBe(true);
  });

  it('closes an idle keep-alive connection at the keep-alive timeout', async () => {
    let answeredAt = 0;
    const a = await raw(server.url, (s) => {
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      s.once('data', () => (answeredAt = Date.now()));
    });
    expect(a.status).toBe(200);
    const idle = Date.now() - answeredAt;
    expect(idle).toBeGreaterThanOrEqual(300);
    expect(idle).toBeLessThan(5000);
  });

  it('keeps serving after all of that', async () => {
    expect((await http(`${server.url}/healthz`)).status).toBe(200);
  });

  describe('rate limits per principal (submitter 5/s, burst 10; auditors unlimited)', () => {
    const add = (token: string | undefined, body: unknown, path = '/ct/v1/add-entry') =>
      http(`${server.url}${path}`, { method: 'POST', ...(token ? { token } : {}), body: JSON.stringify(body) });

    it('refuses a submitter over its limit with 429 rateLimited, Retry-After and the pinned body; others are unaffected', async () => {
      let passed = 0;
      let refused;
      for (let i = 0; i < 40 && !refused; i++) {
        const r = await add(tokens['alice'], { i, who: 'alice' });
        if (r.status === 200) passed++;
        else refused = r;
      }
      expect(passed).toBeGreaterThanOrEqual(10);
      expect(refused?.status).toBe(429);
      expect(refused!.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
      expect(Object.keys(refused!.json).sort()).toEqual(['error_code', 'error_message']);
      expect(refused!.json.error_code).toBe('rateLimited');
      expect(refused!.json.error_message).toMatch(/^alice \(role submitter\) is over its rate limit of 5 entries per second, bursts of up to 10/);
      expect(refused!.headers.get('cache-control')).toBe('no-store');
      expectSecurityHeaders((n) => refused!.headers.get(n), '429');
      // Another principal has its own budget.
      expect((await add(tokens['bob'], { who: 'bob' })).status).toBe(200);
    });

    it('charges add-entries one per record, and a retry after Retry-After seconds succeeds', async () => {
      await sleep(2200); // bob's bucket full again (10)
      expect((await add(tokens['bob'], Array.from({ length: 10 }, (_, i) => ({ i, batch: 1 })), '/ct/v1/add-entries')).status).toBe(200);
      // Enough back for the request itself, not for its 10 records: refused once the batch is read,
      // with the wait for the whole batch (the record paid at authentication is given back).
      await sleep(400);
      const refused = await add(tokens['bob'], Array.from({ length: 10 }, (_, i) => ({ i, batch: 2 })), '/ct/v1/add-entries');
      expect(refused.status).toBe(429);
      expect(refused.json.error_message).toMatch(/add-entries counts each record/);
      const wait = Number(refused.headers.get('retry-after'));
      expect(wait).toBeGreaterThanOrEqual(1);
      await sleep(wait * 1000);
      expect((await add(tokens['bob'], Array.from({ length: 10 }, (_, i) => ({ i, batch: 3 })), '/ct/v1/add-entries')).status).toBe(200);
    });

    it('never charges nor limits unauthenticated requests, and leaves a role at per_second 0 unlimited', async () => {
      for (let i = 0; i < 30; i++) {
        expect((await add(undefined, { i })).status).toBe(401);
        expect((await add('st_' + 'A'.repeat(43), { i })).status).toBe(401);
      }
      for (let i = 0; i < 40; i++) {
        const r = await http(`${server.url}/v1/records?event_id=none-${i}`, { token: tokens['carol'] });
        expect(r.status).toBe(404);
      }
    });

    it('counts refusals in sealtrail_rate_limited_total by role', async () => {
      const text = (await http(`${server.url}/metrics`)).text;
      const m = /^sealtrail_rate_limited_total\{role="submitter"\} (\d+)$/m.exec(text);
      expect(Number(m?.[1])).toBeGreaterThanOrEqual(2);
      expect(text).not.toMatch(/^sealtrail_rate_limited_total\{role="auditor"\}/m);
    });
  });

  it("never puts a token or a record's string value in an error message or a log line", async () => {
    const marker = 'zq' + 'MARKER7319';
    const fakeToken = `st_${'Q'.repeat(30)}${marker}`.slice(0, 46);
    const bodies: string[] = [];
    const send = async (init: RequestInit & { token?: string }, path = '/ct/v1/add-entry'): Promise<void> => {
      const r = await http(`${server.url}${path}`, { method: 'POST', ...init });
      expect(r.status, r.text).toBeGreaterThanOrEqual(400);
      bodies.push(r.text);
    };
    // Tokens: unknown, malformed, of another scheme, of the wrong role, over its limit.
    await send({ token: fakeToken, body: '{"a":1}' });
    await send({ headers: { authorization: `Bearer ${marker} ${marker}` }, body: '{"a":1}' });
    await send({ headers: { authorization: `Basic ${marker}` }, body: '{"a":1}' });
    await send({ token: tokens['carol'], body: '{"a":1}' });
    for (let i = 0; i < 40 && (await add(tokens['alice'], { i })).status === 200; i++);
    await send({ token: tokens['alice'], body: '{"a":1}' });
    // Record values, with the error after them: a duplicate name, nesting, size, a later record, a conflict.
    await sleep(2200);
    await send({ token: tokens['bob'], body: `{"v":"${marker}","v":1}` });
    await send({ token: tokens['bob'], body: `{"v":"${marker}","w":${'['.repeat(40)}${']'.repeat(40)}}` });
    await send({ token: tokens['bob'], body: JSON.stringify({ v: marker, pad: 'x'.repeat(2 * 1024 * 1024) }) });
    await send({ token: tokens['bob'], body: `[{"v":"${marker}"},{"v":"\\ud800"}]` }, '/ct/v1/add-entries');
    expect((await add(tokens['bob'], { event_id: 'secret-check', v: marker })).status).toBe(200);
    await send({ token: tokens['bob'], body: JSON.stringify({ event_id: 'secret-check', v: `${marker}-changed` }) });
    // The server's own refusals, with the token in the request.
    const big = await raw(server.url, (s) => s.write(`GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens['bob']}\r\nX-Pad: ${marker.repeat(500)}\r\n\r\n`));
    const bad = await raw(server.url, (s) => s.write(`GET /\x01${marker} HTTP/1.1\r\nAuthorization: Bearer ${tokens['bob']}\r\n\r\n`));
    bodies.push(big.text, bad.text);

    for (const text of bodies) {
      expect(text).not.toContain(marker);
      for (const token of Object.values(tokens)) expect(text).not.toContain(token);
    }
    const output = server.output();
    expect(output).not.toContain(marker);
    for (const token of Object.values(tokens)) expect(output).not.toContain(token);

    function add(token: string | undefined, body: unknown) {
      return http(`${server.url}/ct/v1/add-entry`, { method: 'POST', ...(token ? { token } : {}), body: JSON.stringify(body) });
    }
  });
});

describe('the connection cap', () => {
  let dir: { path: string; remove(): Promise<void> };
  let server: Server;
  beforeAll(async () => {
    dir = await tempDir('sealtrail-cap-');
    const config = join(dir.path, 'log.json');
    await writeFile(config, JSON.stringify({ http: { max_connections: 2 } }));
    server = await serve(['--data', join(dir.path, 'data'), '--config', config]);
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    await dir.remove();
  });

  it('closes connections beyond it on arrival, keeps those it holds, and serves again once they go', async () => {
    const held: Socket[] = [];
    for (let i = 0; i < 2; i++) {
      held.push(await new Promise<Socket>((resolve) => {
        const s = connect(Number(new URL(server.url).port), '127.0.0.1', () => resolve(s));
        s.on('error', () => undefined);
      }));
    }
    await sleep(200); // the server has accepted both
    const extra = await raw(server.url, () => undefined, 10_000);
    expect(extra.text).toBe('');
    expect(extra.closedAfterMs).toBeLessThan(3000);
    expect(held.every((s) => !s.destroyed)).toBe(true);

    // The held ones still work.
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      held[0]!.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\r\n\r\n')) resolve(text);
      });
      held[0]!.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    held.forEach((s) => s.destroy());

    let metrics = '';
    for (let i = 0; i < 50 && !metrics; i++) {
      await sleep(100);
      metrics = await fetch(`${server.url}/metrics`, { headers: { connection: 'close' } }).then(
        (r) => r.text(),
        () => '',
      );
    }
    expect(Number(/^sealtrail_connections_dropped_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(server.output()).toMatch(/connection limit reached/);
  });
});

describe('security headers on every response', () => {
  let t: TestLog;
  beforeAll(async () => {
    t = await startLog({ principals: { alice: 'submitter', carol: 'auditor' } });
    expect((await postRecord(t, auditRecord(0))).status).toBe(200);
  });
  afterAll(() => t.destroy());

  it('public reads are open to other origins; their caching is their own', async () => {
    for (const path of ['/ct/v1/get-sth', '/ct/v1/get-entries?start=0&end=0', '/ct/v1/get-sth-consistency?first=9&second=9', '/checkpoint', '/tile/0/000.p/1', '/v1/log']) {
      const r = await http(`${t.url}${path}`);
      expectSecurityHeaders((n) => r.headers.get(n), path);
      expect(r.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(r.headers.get('cross-origin-resource-policy'), path).toBe('cross-origin');
    }
    expect((await http(`${t.url}/tile/0/000.p/1`)).headers.get('cache-control')).toBe('public, max-age=60');
    expect((await http(`${t.url}/checkpoint`)).headers.get('cache-control')).toBe('no-store');
    expect((await http(`${t.url}/ct/v1/get-sth-consistency?first=9&second=9`)).status).toBe(400);
  });

  it('everything else is same-origin and never stored by a cache', async () => {
    const cases: [string, RequestInit & { token?: string }][] = [
      ['/ct/v1/add-entry', { method: 'POST', token: t.tokens['alice']!, body: JSON.stringify(auditRecord(1)) }],
      ['/ct/v1/add-entry', { method: 'POST', body: '{"a":1}' }],
      ['/ct/v1/add-entries', { method: 'POST', token: t.tokens['alice']!, body: '[]' }],
      ['/v1/records/0', { token: t.tokens['carol']! }],
      ['/v1/records/0', {}],
      ['/nope', {}],
      ['/ct/v1/get-sth', { method: 'POST' }],
      ['/healthz', {}],
      ['/metrics', {}],
    ];
    for (const [path, init] of cases) {
      const r = await http(`${t.url}${path}`, init);
      const label = `${init.method ?? 'GET'} ${path} ${r.status}`;
      expectSecurityHeaders((n) => r.headers.get(n), label);
      expect(r.headers.get('access-control-allow-origin'), label).toBeNull();
      expect(r.headers.get('cross-origin-resource-policy'), label).toBe('same-origin');
      expect(r.headers.get('cache-control'), label).toBe('no-store');
    }
  });
});

describe('secret files', () => {
  let dir: { path: string; remove(): Promise<void> };
  beforeAll(async () => {
    dir = await tempDir('sealtrail-secrets-');
  });
  afterAll(() => dir.remove());

  it('are created 0600, never over an existing one, and refused when others may read or change them', async () => {
    const file = join(dir.path, 'k');
    await writeSecretFile(file, 'secret\n');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await expect(writeSecretFile(file, 'other')).rejects.toMatchObject({ code: 'EEXIST' });
    expect((await readSecretFile(file, 'the key')).toString()).toBe('secret\n');
    await chmod(file, 0o400);
    expect((await readSecretFile(file, 'the key')).toString()).toBe('secret\n');
    await chmod(file, 0o640);
    await expect(readSecretFile(file, 'the key')).rejects.toThrow(`the key ${file} can be read by other users (mode 640); run: chmod 600 ${file}`);
    await chmod(file, 0o602);
    await expect(readSecretFile(file, 'the key')).rejects.toThrow(`the key ${file} can be changed by other users (mode 602); run: chmod 600 ${file}`);
    await expect(readSecretFile(join(dir.path, 'missing'), 'the key')).rejects.toThrow(/^the key .*missing does not exist$/);
    await mkdir(join(dir.path, 'd'), { mode: 0o700 });
    await expect(readSecretFile(join(dir.path, 'd'), 'the key')).rejects.toThrow(/is not a regular file/);
  });

  it('a witness configuration holding an anchor token is one', async () => {
    const log = await startLog();
    try {
      const witnessDir = join(dir.path, 'w');
      expect((await run(['witness', 'init', '--data', witnessDir, '--name', 'secrets.example/w'])).code).toBe(0);
      const config = join(dir.path, 'w.json');
      const origin = parseVerifierKey(log.verifierKey).name;
      await writeFile(
        config,
        JSON.stringify({
          logs: [{ origin, verifier_key: log.verifierKey, url: log.url }],
          anchors: [{ type: 'log', url: log.url, token: log.tokens['alice'], verifier_key: log.verifierKey }],
        }),
        { mode: 0o644 },
      );
      await chmod(config, 0o644);
      const refused = await run(['witness', 'watch', '--once', '--data', witnessDir, '--config', config]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`the configuration (it holds an anchor token) ${config} can be read by other users (mode 644); run: chmod 600 ${config}`);
      expect(refused.stderr + refused.stdout).not.toContain(log.tokens['alice']!);
      await chmod(config, 0o600);
      const ok = await run(['witness', 'watch', '--once', '--data', witnessDir, '--config', config]);
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      await log.destroy();
    }
  });
});

describe('serve --config: http, rate_limits, tls', () => {
  it('takes each key alone, the others keeping their defaults', () => {
    expect(parseServeConfig({ http: { max_connections: 10 } }).http).toEqual({ ...DEFAULT_SERVER_LIMITS, maxConnections: 10 });
    expect(parseServeConfig({ http: { headers_timeout_seconds: 0.5, request_timeout_seconds: 1 } }).http).toMatchObject({ headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    expect(parseServeConfig({ rate_limits: { submitter: { per_second: 50 } } }).rateLimits).toEqual({
      ...DEFAULT_RATE_LIMITS,
      submitter: { perSecond: 50, burst: 100 },
    });
    // 0: that role is not limited at all.
    expect(parseServeConfig({ rate_limits: { submitter: { per_second: 0 }, admin: { per_second: 0 } } }).rateLimits).toEqual({ auditor: DEFAULT_RATE_LIMITS.auditor });
    expect(parseServeConfig({ tls: { cert: 'c.pem', key: 'k.pem' } }).tls).toEqual({ certFile: 'c.pem', keyFile: 'k.pem' });
    // Nothing given, nothing set: serve applies the defaults.
    expect(parseServeConfig({})).toEqual({ witnesses: [], witnessPushIntervalMs: 5000 });
  });

  it.each([
    [{ http: [] }, /^c\.json: http: must be a JSON object/],
    [{ http: { max_conections: 1 } }, /^c\.json: http\.max_conections: unknown key; accepted: request_timeout_seconds, /],
    [{ http: { request_timeout_seconds: 0 } }, /http\.request_timeout_seconds: must be a number of seconds from 0\.1 to 3600/],
    [{ http: { headers_timeout_seconds: 40 } }, /http\.headers_timeout_seconds: must not exceed request_timeout_seconds \(30\)/],
    [{ http: { max_header_bytes: 100 } }, /http\.max_header_bytes: must be a whole number from 1024 to 1048576/],
    [{ http: { max_connections: 1.5 } }, /http\.max_connections: must be a whole number from 1 to 1000000/],
    [{ rate_limits: { gateway: {} } }, /rate_limits\.gateway: unknown key; accepted: submitter, auditor, admin/],
    [{ rate_limits: { submitter: 5 } }, /rate_limits\.submitter: must be a JSON object/],
    [{ rate_limits: { submitter: {} } }, /rate_limits\.submitter\.per_second: must be a number from 0 \(no limit\) to 1000000 entries per second/],
    [{ rate_limits: { auditor: { per_second: -1 } } }, /rate_limits\.auditor\.per_second: .* requests per second/],
    [{ rate_limits: { submitter: { per_second: 0, burst: 5 } } }, /rate_limits\.submitter\.burst: applies only to a limit/],
    [{ rate_limits: { submitter: { per_second: 5, burst: 0 } } }, /rate_limits\.submitter\.burst: must be a whole number from 1/],
    [{ tls: { cert: 'c.pem' } }, /tls\.key: is required with the other/],
    [{ tls: { key: 'k.pem' } }, /tls\.cert: is required with the other/],
    [{ tls: { cert: 'c', key: 'k', ca: 'x' } }, /tls\.ca: unknown key; accepted: cert, key/],
  ])('refuses %j naming the bad key', (json, message) => {
    expect(() => parseServeConfig(json, 'c.json')).toThrow(ConfigError);
    expect(() => parseServeConfig(json, 'c.json')).toThrow(message);
  });
});
