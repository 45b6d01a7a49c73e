/**
 * Observability (issue 4 item 8): `GET /metrics` in Prometheus text, request ids, and structured
 * JSON logs that never hold a record value or a token. Real LevelDB, real HTTP on port 0, and the
 * real `sealtrail serve` process for the CLI wiring.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics, createLogger } from '../src/observability/index.js';
import type { Logger } from '../src/observability/index.js';
import { auditRecord, http, postRecord, startLog, tempDir } from './harness.js';
import type { TestLog } from './harness.js';
import { run, serve } from './process.js';
import { startWitness } from './witness-process.js';

// ---- reading the Prometheus text format ----

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The one sample called `name` whose labels include `labels`. */
function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

async function scrape(t: TestLog): Promise<Sample[]> {
  const res = await http(`${t.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(res.text);
}

/** A logger whose lines land in an array, parsed. */
function capturingLogger(): { logger: Logger; lines: string[]; parsed(): Record<string, unknown>[] } {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const HTTP = 'sealtrail_http_request_duration_seconds';

describe('GET /metrics', () => {
  let t: TestLog;
  beforeAll(async () => {
    t = await startLog();
  });
  afterAll(() => t.destroy());

  it('counts appended entries, passes and add-entry latency by route pattern, and gauges the tree size', async () => {
    for (let i = 0; i < 3; i++) expect((await postRecord(t, auditRecord(i))).status).toBe(200);
    const batch = await http(`${t.url}/ct/v1/add-entries`, { method: 'POST', token: t.tokens['alice']!, body: JSON.stringify([{ a: 1 }, { a: 2 }]) });
    expect(batch.status).toBe(200);
    expect((await http(`${t.url}/tile/0/000.p/5`)).status).toBe(200);
    expect((await http(`${t.url}/tile/0/x123/456`)).status).toBe(404);
    expect((await http(`${t.url}/no/such/path?secret=1`)).status).toBe(404);

    const m = await scrape(t);
    expect(sample(m, 'sealtrail_entries_appended_total')).toBe(5);
    expect(sample(m, 'sealtrail_tree_size')).toBe(5);
    expect(sample(m, 'sealtrail_pool_entries')).toBe(0);
    // Four submissions, each waited for by the test: at least two passes, at most four; 5 entries in all.
    expect(sample(m, 'sealtrail_sequencing_pass_entries_sum')).toBe(5);
    expect(sample(m, 'sealtrail_sequencing_pass_entries_count')).toBeGreaterThanOrEqual(2);
    expect(sample(m, 'sealtrail_sequencing_pass_duration_seconds_count')).toBe(sample(m, 'sealtrail_sequencing_pass_entries_count'));
    expect(sample(m, 'sealtrail_sequencing_pass_duration_seconds_sum')).toBeGreaterThan(0);
    expect(sample(m, 'sealtrail_pushback_total')).toBe(0);

    const addEntry = { method: 'POST', route: '/ct/v1/add-entry', status: '200' };
    expect(sample(m, `${HTTP}_count`, addEntry)).toBe(3);
    expect(sample(m, `${HTTP}_sum`, addEntry)).toBeGreaterThan(0);
    expect(sample(m, `${HTTP}_bucket`, { ...addEntry, le: '+Inf' })).toBe(3);
    expect(sample(m, `${HTTP}_count`, { route: '/ct/v1/add-entries', status: '200' })).toBe(1);
    // Route patterns, never raw paths: cardinality stays bounded whatever clients ask for.
    expect(sample(m, `${HTTP}_count`, { method: 'GET', route: '/tile/*', status: '200' })).toBe(1);
    expect(sample(m, `${HTTP}_count`, { method: 'GET', route: '/tile/*', status: '404' })).toBe(1);
    expect(sample(m, `${HTTP}_count`, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    const routes = new Set(m.filter((s) => s.name === `${HTTP}_count`).map((s) => s.labels['route']));
    expect([...routes].filter((r) => r!.includes('000') || r!.includes('no/such'))).toEqual([]);
  });

  it('reveals no record data: no field name or value of a logged record appears', async () => {
    const marker = `marker-${randomBytes(8).toString('hex')}`;
    expect((await postRecord(t, { [marker]: marker })).status).toBe(200);
    const text = (await http(`${t.url}/metrics`)).text;
    expect(text).not.toContain(marker);
    expect(text).not.toContain(t.tokens['alice']!);
  });

  it('is a documented, public read (no token), and not cached', async () => {
    const res = await http(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text).toMatch(/^# HELP sealtrail_entries_appended_total /m);
    expect(res.text).toMatch(/^# TYPE sealtrail_http_request_duration_seconds histogram$/m);
  });
});

describe('pushback', () => {
  it('counts each 503 overloaded, and its latency under status 503', async () => {
    const t = await startLog({ sequencer: { maxPendingEntries: 2, maxDelayMs: 300, maxBatchEntries: 100 } });
    try {
      const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => postRecord(t, { i })));
      const refused = replies.filter((r) => r.status === 503);
      expect(refused.map((r) => r.json.error_code)).toEqual(['overloaded', 'overloaded', 'overloaded']);
      const m = await scrape(t);
      expect(sample(m, 'sealtrail_pushback_total')).toBe(3);
      expect(sample(m, 'sealtrail_entries_appended_total')).toBe(2);
      expect(sample(m, `${HTTP}_count`, { route: '/ct/v1/add-entry', status: '503' })).toBe(3);
      expect(sample(m, `${HTTP}_count`, { route: '/ct/v1/add-entry', status: '200' })).toBe(2);
    } finally {
      await t.destroy();
    }
  });
});

describe('witness cosignature age', () => {
  it('is the seconds since the witness last cosigned, over HTTP', async () => {
    // A log, stopped, so that its verifier key can be given to the witness; then reopened with it.
    const first = await startLog();
    await first.stop();
    const witness = await startWitness([{ origin: 'test.example/log', verifier_key: first.verifierKey }]);
    const t = await startLog({ dir: first.dir, witnesses: [{ url: witness.url, verifierKey: witness.verifierKey }], witnessPushIntervalMs: 50 });
    try {
      const labels = { witness: witness.url };
      expect((await postRecord(t, { a: 1 }, first.tokens['alice']!)).status).toBe(200);
      const deadline = Date.now() + 5000;
      while (t.pusher.status()[0]!.cosigned_size !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const age = sample(await scrape(t), 'sealtrail_witness_cosignature_age_seconds', labels);
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(5);
    } finally {
      await t.stop();
      await witness.destroy();
      await first.destroy();
    }
  });

  it('reads each witness from the pusher status at scrape time, with the process metrics', async () => {
    const now = 1_800_000_000_000;
    const metrics = new Metrics();
    metrics.watch({
      treeSize: () => 7,
      pendingEntries: () => 2,
      now: () => now,
      witnesses: () => [
        { url: 'http://w1.example', verifier_key: 'k1', cosigned_size: 7, cosigned_at: now - 12_500, last_error: null },
        { url: 'http://w2.example', verifier_key: 'k2', cosigned_size: 0, cosigned_at: null, last_error: 'HTTP 500' },
      ],
    });
    const m = parseMetrics(await metrics.text());
    expect(sample(m, 'sealtrail_witness_cosignature_age_seconds', { witness: 'http://w1.example' })).toBe(12.5);
    expect(sample(m, 'sealtrail_witness_cosignature_age_seconds', { witness: 'http://w2.example' })).toBeUndefined();
    expect(sample(m, 'sealtrail_tree_size')).toBe(7);
    expect(sample(m, 'sealtrail_pool_entries')).toBe(2);
    expect(sample(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(m, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('keeps the registries of two logs in one process apart', async () => {
    const [a, b] = [new Metrics(), new Metrics()];
    a.sequencer.passed(3, 0.001);
    expect(sample(parseMetrics(await a.text()), 'sealtrail_entries_appended_total')).toBe(3);
    expect(sample(parseMetrics(await b.text()), 'sealtrail_entries_appended_total')).toBe(0);
  });
});

describe('request ids', () => {
  let t: TestLog;
  beforeAll(async () => {
    t = await startLog();
  });
  afterAll(() => t.destroy());

  it('echoes a sane incoming X-Request-Id', async () => {
    const id = `gw-${randomBytes(6).toString('hex')}:a/b=c`;
    const res = await http(`${t.url}/ct/v1/get-sth`, { headers: { 'x-request-id': id } });
    expect(res.headers.get('x-request-id')).toBe(id);
    const refused = await postRecord(t, '{"a":1,"a":2}', t.tokens['alice']!, { 'x-request-id': id });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('x-request-id')).toBe(id);
  });

  it('generates one when none is sent, or when the one sent is not 1 to 64 visible ASCII characters', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const seen = new Set<string>();
    // 'caf\xe9' goes out as the byte 0xE9: not ASCII.
    for (const sent of [undefined, 'x'.repeat(65), 'has space', 'caf\xe9']) {
      const res = await http(`${t.url}/nope`, { headers: sent === undefined ? {} : { 'x-request-id': sent } });
      expect(res.status).toBe(404);
      const id = res.headers.get('x-request-id')!;
      expect(id, JSON.stringify(sent)).toMatch(uuid);
      seen.add(id);
    }
    expect(seen.size).toBe(4);
  });
});

describe('logs', () => {
  let t: TestLog;
  const capture = capturingLogger();
  beforeAll(async () => {
    t = await startLog({ logger: capture.logger });
  });
  afterAll(() => t.destroy());

  it('one JSON line per request: method, route, status, duration, request id, principal', async () => {
    capture.lines.length = 0;
    const ok = await postRecord(t, auditRecord(1), t.tokens['alice']!, { 'x-request-id': 'req-ok-1' });
    expect(ok.status).toBe(200);
    const forbidden = await postRecord(t, { a: 1 }, t.tokens['carol']!, { 'x-request-id': 'req-403' });
    expect(forbidden.status).toBe(403);
    const anonymous = await http(`${t.url}/ct/v1/get-sth`);

    const lines = capture.parsed();
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(Object.keys(line).sort()).toEqual(
        ['duration_ms', 'level', 'method', 'msg', 'pid', 'req_id', 'route', 'status', 'time', ...('principal' in line ? ['principal'] : [])].sort(),
      );
      expect(line).toMatchObject({ level: 'info', msg: 'request' });
      expect(new Date(line['time'] as string).toISOString()).toBe(line['time']);
      expect(line['duration_ms']).toBeGreaterThanOrEqual(0);
    }
    expect(lines[0]).toMatchObject({ req_id: 'req-ok-1', method: 'POST', route: '/ct/v1/add-entry', status: 200, principal: 'alice' });
    expect(lines[1]).toMatchObject({ req_id: 'req-403', route: '/ct/v1/add-entry', status: 403 });
    expect(lines[2]).toMatchObject({ req_id: anonymous.headers.get('x-request-id'), method: 'GET', route: '/ct/v1/get-sth', status: 200 });
    expect(lines[2]).not.toHaveProperty('principal');
  });

  it('never holds a record value, a field name, an idempotency key, a query string or a token', async () => {
    capture.lines.length = 0;
    const marker = `m4rker${randomBytes(8).toString('hex')}`;
    const token = t.tokens['alice']!;
    const record = auditRecord(2, { event_id: `${marker}-event`, [`${marker}_name`]: `${marker}-value`, user_id: `${marker}@example.com` });
    const ok = await postRecord(t, record, token, { 'idempotency-key': `${marker}-key` });
    expect(ok.status).toBe(200);
    expect((await postRecord(t, { other: `${marker}-conflict` }, token, { 'idempotency-key': `${marker}-key` })).status).toBe(409);
    expect((await postRecord(t, `{"bad": "${marker}-malformed",}`, token)).status).toBe(400);
    expect((await http(`${t.url}/ct/v1/add-entries`, { method: 'POST', token, body: JSON.stringify([{ v: `${marker}-batch` }]) })).status).toBe(200);
    const hash = encodeURIComponent(ok.json.leaf_hash as string);
    expect((await http(`${t.url}/ct/v1/get-proof-by-hash?hash=${hash}&tree_size=${t.log.head.size}`)).status).toBe(200);
    // A wrong token and a token in the wrong place: neither is echoed.
    const wrong = `st_${randomBytes(32).toString('base64url')}`;
    expect((await postRecord(t, { a: 1 }, wrong)).status).toBe(401);
    expect((await http(`${t.url}/nope?token=${token}&v=${marker}`)).status).toBe(404);

    const text = capture.lines.join('');
    expect(capture.lines.length).toBe(7);
    for (const secret of [marker, token, wrong, ok.json.leaf_hash as string, 'Bearer', '?']) expect(text, secret).not.toContain(secret);
    for (const salt of Object.values(ok.json.salts as Record<string, string>)) expect(text).not.toContain(salt);
  });
});

describe('sealtrail serve', () => {
  it('keeps its banner on stdout, logs JSON lines on stderr, and takes --log-level', async () => {
    const dir = await tempDir();
    try {
      const server = await serve(['--data', `${dir.path}/data`]);
      const token = /^ {2}(st_[A-Za-z0-9_-]{43})$/m.exec(server.banner)![1]!;
      const reply = await http(`${server.url}/ct/v1/add-entry`, { method: 'POST', token, body: '{"secret":"s3cr3t-value"}', headers: { 'x-request-id': 'serve-1' } });
      expect(reply.status).toBe(200);
      const metrics = parseMetrics((await http(`${server.url}/metrics`)).text);
      expect(sample(metrics, 'sealtrail_entries_appended_total')).toBe(1);
      expect(sample(metrics, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      expect(await server.stop()).toBe(0);
      const output = server.output();
      const json = output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(json.map((l) => l['msg'])).toEqual(['serving', 'request', 'request', 'stopping', 'stopped']);
      expect(json[0]).toMatchObject({ level: 'info', url: server.url, tree_size: 0 });
      expect(json[1]).toMatchObject({ req_id: 'serve-1', route: '/ct/v1/add-entry', status: 200, principal: 'submitter' });
      expect(json[4]).toMatchObject({ tree_size: 1 });
      expect(output).not.toContain('s3cr3t-value');
      expect(output.split(token).length, 'the token appears once, in the banner').toBe(2);

      const quiet = await serve(['--data', `${dir.path}/data`, '--log-level', 'silent']);
      expect((await http(`${quiet.url}/ct/v1/get-sth`)).status).toBe(200);
      expect(await quiet.stop()).toBe(0);
      expect(quiet.output()).not.toMatch(/^\{/m);
      expect(quiet.output()).toMatch(/stopped at tree size 1/);

      const bad = await run(['serve', '--data', `${dir.path}/data`, '--log-level', 'loud']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--log-level must be one of fatal, error, warn, info, debug, trace, silent/);
    } finally {
      await dir.remove();
    }
  });
});
