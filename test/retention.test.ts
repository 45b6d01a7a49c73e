/**
 * Retention (issue 4 item 4, spec/formats.md §16.5) over real HTTP with a real LevelDB and a fake
 * clock: expired records lose every field but tenant_id, event_id and the policy field, by erasure
 * entries with reason "retention"; the tree and every proof are unchanged; runs resume from stored
 * cursors; `sealtrail retention run` does the same on demand, or lists it with --dry-run.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeRetentionCommand } from '../src/cli/commands/retention.js';
import { runCommand } from '../src/cli/usage.js';
import { verifyReceipt } from '../src/client/receipt.js';
import { DAY_MS, parseRetentionPolicy } from '../src/log/retention-policy.js';
import { RETENTION_JOB, RetentionJob } from '../src/log/retention.js';
import { utf8 } from '../src/util/bytes.js';
import { http, postRecord, removeDataDir, startLog, tempDir } from './harness.js';
import { run, serve } from './process.js';
import type { StartOptions, TestLog } from './harness.js';

const POLICY_JSON = { field: 'category', periods: { block: '7y', escalation: '7y', normal: '1y' }, default: '3y' };
const policy = parseRetentionPolicy(POLICY_JSON);
const YEAR = 365 * DAY_MS;
const KEPT = ['category', 'event_id', 'tenant_id'];

const record = (i: number, category: unknown): Record<string, unknown> => ({
  event_id: `evt-${i}`,
  tenant_id: 'acme',
  ...(category === undefined ? {} : { category }),
  user_email: `person-${i}@example.com`,
  model: 'gpt-5.1',
  tokens: { prompt: 100 + i, completion: 20 },
});

/**
 * A clock that runs (the sequencer times its passes by it) but can be set ahead: leaf times never go
 * below the log's creation time, so it starts at the real time and only moves forward.
 */
function fakeClock(): { now: () => number; set(at: number): void; advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    set: (at) => void (offset = at - Date.now()),
    advance: (ms) => void (offset += ms),
  };
}

describe('the retention job in the server', () => {
  const t0 = Date.now();
  const clock = fakeClock();
  const now = clock.now;
  let t: TestLog;
  const records: Record<string, unknown>[] = [];
  const receipts: any[] = [];
  const read = async (index: number, log = t) => (await http(`${log.url}/v1/records/${index}`, { token: t.tokens['carol'] })).json;
  const job = (log = t) => new RetentionJob({ log: log.log, store: log.store, policy, now });

  beforeAll(async () => {
    t = await startLog({ now, principals: { alice: 'submitter', carol: 'auditor', root: 'admin' } });
    // 0 normal, 1 block, 2 no category (default), 3 a category that is not a string (default), all at t0;
    // 4 normal, 200 days later.
    for (const [i, category] of [[0, 'normal'], [1, 'block'], [2, undefined], [3, 42]] as const) {
      records.push(record(i, category));
      receipts.push((await postRecord(t, records[i])).json);
    }
    clock.set(t0 + 200 * DAY_MS);
    records.push(record(4, 'normal'));
    receipts.push((await postRecord(t, records[4])).json);
    expect(receipts.map((r) => r.leaf_index)).toEqual([0, 1, 2, 3, 4]);
  });
  afterAll(() => t.destroy());

  it('erases nothing before a period ends', async () => {
    clock.set(t0 + YEAR - DAY_MS);
    const report = await job().run();
    expect(report.erasures).toEqual([]);
    expect(t.log.head.size).toBe(5);
  });

  it('erases a normal record older than 1y: its values go, the commitments stay, every proof still verifies', async () => {
    clock.set(t0 + YEAR + DAY_MS);
    const report = await job().run();
    expect(report.erasures.map((e) => [e.targetIndex, e.erasureIndex, e.periodDays])).toEqual([[0, 5, 365]]);
    expect(report.complete).toBe(true);

    const after = await read(0);
    expect(after.values).toEqual({ event_id: 'evt-0', tenant_id: 'acme', category: 'normal' });
    expect(Object.keys(after.erased).sort()).toEqual(['model', 'tokens', 'user_email']);
    for (const e of Object.values(after.erased) as any[]) expect(e.erasure_index).toBe(5);
    expect(after.leaf_input).toBe(receipts[0].leaf_input);
    verifyReceipt(after, utf8(JSON.stringify(after.values)), t.verifierKey);
    // The receipt handed out at submission still verifies with the record its holder kept.
    verifyReceipt(receipts[0], utf8(JSON.stringify(records[0])), t.verifierKey);

    // Block (7y), the defaults (3y) and the younger normal record are untouched.
    for (const i of [1, 2, 3, 4]) {
      const r = await read(i);
      expect(r.erased, `record ${i}`).toEqual({});
      expect(r.values).toEqual(records[i]);
    }
  });

  it('records the erasure as an erasure entry with reason "retention", readable by an auditor', async () => {
    const entry = await read(5);
    expect(entry.kind).toBe('erasure');
    expect(entry.submitter).toBe(t.log.origin);
    expect(entry.values).toEqual({ target_index: 0, fields: ['user_email', 'model', 'tokens'], reason: 'retention', requested_by: 'retention' });
    verifyReceipt(entry, utf8(JSON.stringify(entry.values)), t.verifierKey);
  });

  it('a second run changes nothing and reads only one entry per period (no rescan)', async () => {
    const report = await job().run();
    expect(report.erasures).toEqual([]);
    expect(t.log.head.size).toBe(6);
    // Three distinct periods (1y, 3y, 7y): each scan stops at the first entry not yet expired.
    expect(report.examined).toBe(3);
    expect(report.cursors).toEqual({ '365': 4, '1095': 0, '2555': 0 });
  });

  it('applies the default period (3y) to records without the field or with a non-string value', async () => {
    clock.set(t0 + 3 * YEAR + DAY_MS);
    const report = await job().run();
    // 2 and 3 by the default; 4 (normal, 200 days younger) by its own 1y; the erasure entry 5 is no target.
    expect(report.erasures.map((e) => [e.targetIndex, e.periodDays]).sort()).toEqual([[2, 1095], [3, 1095], [4, 365]]);
    expect((await read(2)).values).toEqual({ event_id: 'evt-2', tenant_id: 'acme' });
    expect((await read(3)).values).toEqual({ event_id: 'evt-3', tenant_id: 'acme', category: 42 });
    expect((await read(1)).erased).toEqual({});
    for (const e of report.erasures) expect((await read(e.erasureIndex!)).values.reason).toBe('retention');
  });

  it('keeps block records until 7y', async () => {
    clock.set(t0 + 7 * YEAR - DAY_MS);
    expect((await job().run()).erasures).toEqual([]);
    clock.set(t0 + 7 * YEAR + DAY_MS);
    const report = await job().run();
    expect(report.erasures.map((e) => e.targetIndex)).toEqual([1]);
    const after = await read(1);
    expect(after.values).toEqual({ event_id: 'evt-1', tenant_id: 'acme', category: 'block' });
    verifyReceipt(after, utf8(JSON.stringify(after.values)), t.verifierKey);
  });

  it('add-entry keeps working while a run erases, and a run is bounded', async () => {
    const first = t.log.head.size;
    for (let i = 0; i < 30; i++) expect((await postRecord(t, record(100 + i, 'normal'))).status).toBe(200);
    clock.advance(2 * YEAR);
    const bounded = new RetentionJob({ log: t.log, store: t.store, policy, now, maxErasuresPerRun: 12 });
    const [report, ...replies] = await Promise.all([bounded.run(), ...Array.from({ length: 20 }, (_, i) => postRecord(t, record(200 + i, 'normal')))]);
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(report.erasures).toHaveLength(12);
    expect(report.complete).toBe(false);
    // The records submitted during the run are younger than any period: left alone.
    for (const r of replies) expect((await read(r.json.leaf_index)).erased).toEqual({});
    // Later runs pick up where it stopped.
    const rest = await bounded.run();
    const last = await bounded.run();
    expect([...report.erasures, ...rest.erasures].map((e) => e.targetIndex).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => first + i).filter((i) => i < first + 24),
    );
    expect(rest.erasures.length + last.erasures.length).toBe(18);
    expect(last.complete).toBe(true);
  });

  it('runs on its interval once started, and stops on close', async () => {
    const target = (await postRecord(t, record(300, 'normal'))).json.leaf_index as number;
    clock.advance(YEAR + DAY_MS);
    const scheduled = job();
    scheduled.start(20);
    try {
      for (let i = 0; i < 200 && Object.keys((await read(target)).erased).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(Object.keys((await read(target)).erased).sort()).toEqual(['model', 'tokens', 'user_email']);
    } finally {
      await scheduled.close();
    }
    const size = t.log.head.size;
    await postRecord(t, record(301, 'normal'));
    clock.advance(YEAR + DAY_MS);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.log.head.size).toBe(size + 1); // closed: no erasure of the new record
  });

  it('persists its cursors across a restart: the next run does not rescan', async () => {
    await job().run(); // erases record 301, left for after the restart check
    const before = JSON.parse(Buffer.from((await t.store.readJobState(RETENTION_JOB))!).toString('utf8'));
    await t.stop();
    const again = await startLog({ dir: t.dir, now });
    try {
      const stored = JSON.parse(Buffer.from((await again.store.readJobState(RETENTION_JOB))!).toString('utf8'));
      expect(stored).toEqual(before);
      const report = await job(again).run();
      expect(report.erasures).toEqual([]);
      expect(report.examined).toBeLessThanOrEqual(3);
      expect(report.cursors['365']).toBeGreaterThan(30);
    } finally {
      await again.stop();
    }
  });
});

describe('sealtrail retention run', () => {
  const t0 = Date.now();
  let t: TestLog;
  let config: string;
  let configDir: { path: string; remove(): Promise<void> };
  let output: string[] = [];
  const cli = (args: string[], at: number) => {
    output = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void output.push(String(line)));
    const spyErr = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void output.push(String(line)));
    return runCommand(makeRetentionCommand(() => at), args, 'sealtrail retention').finally(() => {
      spy.mockRestore();
      spyErr.mockRestore();
    });
  };

  beforeAll(async () => {
    t = await startLog({ principals: { alice: 'submitter', carol: 'auditor' } });
    for (const [i, category] of [[0, 'normal'], [1, 'block'], [2, 'normal']] as const) await postRecord(t, record(i, category));
    await t.stop();
    configDir = await tempDir('sealtrail-retention-config-');
    config = join(configDir.path, 'serve.json');
    await writeFile(config, JSON.stringify({ witnesses: [], retention: { ...POLICY_JSON, interval_seconds: 60 } }));
  });
  afterAll(async () => {
    await t?.destroy();
    await configDir?.remove();
  });
  afterEach(() => vi.restoreAllMocks());

  it('--dry-run lists what it would erase and changes nothing', async () => {
    expect(await cli(['run', '--data', t.dir, '--config', config, '--dry-run'], t0 + 2 * YEAR)).toBe(0);
    expect(output.filter((l) => l.startsWith('would erase')).map((l) => /record (\d+)/.exec(l)![1])).toEqual(['0', '2']);
    expect(output.at(-1)).toMatch(/dry run: would erase 2 records .*nothing changed/);
    const again = await startLog({ dir: t.dir });
    try {
      expect(again.log.head.size).toBe(3);
      expect(await again.store.readJobState(RETENTION_JOB)).toBeUndefined();
      expect((await http(`${again.url}/v1/records/0`, { token: t.tokens['carol'] })).json.erased).toEqual({});
    } finally {
      await again.stop();
    }
  });

  it('erases what is due, exits 0, and a second run changes nothing', async () => {
    expect(await cli(['run', '--data', t.dir, '--config', config], t0 + 2 * YEAR)).toBe(0);
    expect(output.filter((l) => l.startsWith('erased (erasure entry'))).toHaveLength(2);
    expect(output.at(-1)).toMatch(/^erased 2 records .*tree size 5/);
    expect(await cli(['run', '--data', t.dir, '--config', config], t0 + 2 * YEAR)).toBe(0);
    expect(output.at(-1)).toMatch(/^erased 0 records .*tree size 5/);

    const again = await startLog({ dir: t.dir });
    try {
      for (const [index, erased] of [[0, true], [1, false], [2, true]] as const) {
        const r = (await http(`${again.url}/v1/records/${index}`, { token: t.tokens['carol'] })).json;
        expect(Object.keys(r.values).sort()).toEqual(erased ? KEPT : [...KEPT, 'model', 'tokens', 'user_email'].sort());
        verifyReceipt(r, utf8(JSON.stringify(r.values)), again.verifierKey);
      }
      const entries = await Promise.all([3, 4].map(async (i) => (await http(`${again.url}/v1/records/${i}`, { token: t.tokens['carol'] })).json));
      for (const entry of entries) expect(entry.values).toMatchObject({ reason: 'retention', requested_by: 'retention' });
      expect(entries.map((e) => e.values.target_index).sort()).toEqual([0, 2]);
    } finally {
      await again.stop();
    }
  });

  it('refuses a config without a policy, naming what is missing (exit 2)', async () => {
    const empty = join(configDir.path, 'empty.json');
    await writeFile(empty, '{}');
    expect(await cli(['run', '--data', t.dir, '--config', empty], t0)).toBe(2);
    expect(output[0]).toMatch(/has no "retention" key/);
    const bad = join(configDir.path, 'bad.json');
    await writeFile(bad, JSON.stringify({ retention: { periods: { normal: '1m' }, default: '3y' } }));
    expect(await cli(['run', '--data', t.dir, '--config', bad], t0)).toBe(1);
    expect(output[0]).toMatch(/retention\.periods\.normal: "1m" is not a retention period/);
  });
});

describe('POST /v1/retention/run and retention run --url, on a serving log', () => {
  const t0 = Date.now();
  const clock = fakeClock();
  let t: TestLog | undefined;
  let output: string[] = [];
  const cli = (args: string[]) => {
    output = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void output.push(String(line)));
    const spyErr = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void output.push(String(line)));
    return runCommand(makeRetentionCommand(), args, 'sealtrail retention').finally(() => {
      spy.mockRestore();
      spyErr.mockRestore();
    });
  };
  const principals: NonNullable<StartOptions['principals']> = { alice: 'submitter', carol: 'auditor', root: 'admin', acmeAdmin: { role: 'admin', tenants: ['acme'] } };
  const post = (log: TestLog, body: string, token = log.tokens['root']!) =>
    http(`${log.url}/v1/retention/run`, { method: 'POST', token, body, headers: { 'content-type': 'application/json' } });
  afterEach(async () => {
    vi.restoreAllMocks();
    await t?.destroy();
    t = undefined;
  });

  it('runs the server policy on demand: a dry run changes nothing, a run erases, bounded by the per-run limit', async () => {
    clock.set(t0);
    t = await startLog({ now: clock.now, principals, retention: { policy, maxErasuresPerRun: 2 } });
    for (const [i, category] of [[0, 'normal'], [1, 'block'], [2, 'normal'], [3, 'normal']] as const) await postRecord(t, record(i, category));
    clock.set(t0 + 2 * YEAR);

    const dry = await post(t, '{"dry_run":true}');
    expect(dry.status, dry.text).toBe(200);
    expect(dry.headers.get('cache-control')).toBe('no-store');
    expect(dry.json).toMatchObject({ dry_run: true, complete: false });
    expect(dry.json.erasures.map((e: any) => [e.target_index, e.period_days, e.erasure_index])).toEqual([[0, 365, undefined], [2, 365, undefined]]);
    expect(t.log.head.size).toBe(4);

    // A bounded run erases two; the next one the third and is complete.
    const first = await post(t, '');
    expect(first.json).toMatchObject({ dry_run: false, complete: false });
    // A run erases its targets concurrently: each gets an erasure entry of its own, in either order.
    expect(first.json.erasures.map((e: any) => e.target_index)).toEqual([0, 2]);
    expect(first.json.erasures.map((e: any) => e.erasure_index).sort()).toEqual([4, 5]);
    const second = await post(t, '{}');
    expect(second.json).toMatchObject({ complete: true });
    expect(second.json.erasures.map((e: any) => e.target_index)).toEqual([3]);
    const read = (await http(`${t.url}/v1/records/3`, { token: t.tokens['carol'] })).json;
    expect(Object.keys(read.values).sort()).toEqual(KEPT);
    verifyReceipt(read, utf8(JSON.stringify(read.values)), t.verifierKey);
    expect((await http(`${t.url}/v1/records/1`, { token: t.tokens['carol'] })).json.erased).toEqual({});
  });

  it('retention run --url runs until complete, and --dry-run lists without changing anything', async () => {
    clock.set(t0);
    t = await startLog({ now: clock.now, principals, retention: { policy, maxErasuresPerRun: 1 } });
    for (const [i, category] of [[0, 'normal'], [1, 'normal'], [2, 'block'], [3, 'normal']] as const) await postRecord(t, record(i, category));
    clock.set(t0 + 2 * YEAR);
    const root = t.tokens['root']!;

    expect(await cli(['run', '--url', t.url, '--token', root, '--dry-run'])).toBe(0);
    expect(output.filter((l) => l.startsWith('would erase'))).toHaveLength(1);
    expect(output.at(-1)).toMatch(/dry run: would erase 1 record .*per-run limit.*nothing changed/);
    expect(t.log.head.size).toBe(4);

    expect(await cli(['run', '--url', t.url, '--token', root])).toBe(0);
    expect(output.filter((l) => l.startsWith('erased (erasure entry')).map((l) => /record (\d+)/.exec(l)![1])).toEqual(['0', '1', '3']);
    expect(output.at(-1)).toMatch(/^erased 3 records/);
    expect(t.log.head.size).toBe(7);
  });

  it('is for admins of every tenant, needs a policy, and refuses a bad body or bad flags', async () => {
    t = await startLog({ principals });
    const refused = (r: any, status: number, code: string, message: RegExp) => {
      expect(r.status, r.text).toBe(status);
      expect(r.json.error_code).toBe(code);
      expect(r.json.error_message).toMatch(message);
    };
    refused(await http(`${t.url}/v1/retention/run`, { method: 'POST' }), 401, 'unauthorized', /Authorization/);
    refused(await post(t, '{}', t.tokens['carol']), 403, 'forbidden', /role admin/);
    refused(await post(t, '{}', t.tokens['acmeAdmin']), 403, 'forbidden', /admin token for every tenant/);
    refused(await post(t, '{"dry_run":"yes"}'), 400, 'malformed', /\{"dry_run": true\|false\}/);
    refused(await post(t, '{"force":true}'), 400, 'malformed', /unexpected member "force"/);
    refused(await post(t, '{}'), 409, 'conflict', /no retention policy/);

    expect(await cli(['run', '--url', t.url, '--token', t.tokens['root']!])).toBe(1);
    expect(output.join('\n')).toMatch(/HTTP 409.*no retention policy/);
    expect(await cli(['run', '--url', t.url, '--token', t.tokens['root']!, '--data', t.dir])).toBe(2);
    expect(await cli(['run', '--url', t.url])).toBe(2);
  });
});

describe('the real binary', () => {
  it('serve --config with "retention" runs the job on its interval and stops cleanly; retention run --dry-run lists nothing young', async () => {
    const dir = await tempDir('sealtrail-retention-serve-');
    const data = join(dir.path, 'data');
    const config = join(dir.path, 'serve.json');
    await writeFile(config, JSON.stringify({ retention: { ...POLICY_JSON, interval_seconds: 1 } }));
    try {
      const server = await serve(['--data', data, '--config', config]);
      expect(server.banner).toMatch(/retention job every 1 s \(at most 100 erasures a run\)/);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const code = await server.stop('SIGTERM');
      expect(code, server.output()).toBe(0);
      const ran = await run(['retention', 'run', '--data', data, '--config', config, '--dry-run']);
      expect(ran.stderr).toBe('');
      expect(ran.code).toBe(0);
      expect(ran.stdout).toMatch(/dry run: would erase 0 records/);
    } finally {
      await dir.remove();
      await removeDataDir(data);
    }
  });
});
