/**
 * The live tail (issue 4 item 7) over real HTTP on a real LevelDB: GET /v1/stream gives checkpoints
 * to anyone and record summaries to auditors within their tenant scope (never another tenant's, even
 * from the same pass), honours ?filter=, refuses bad and submitter tokens before it starts, drops a
 * client that reads too slowly, and ends at shutdown without holding the server up; `sealtrail tail`
 * prints the events as a process.
 */
import { spawn } from 'node:child_process';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerStreamRoute } from '../src/api/stream.js';
import type { Authenticator } from '../src/auth/tokens.js';
import { readEvents } from '../src/client/sse.js';
import type { ServerSentEvent } from '../src/client/sse.js';
import { auditRecord, http, postRecord, startLog } from './harness.js';
import type { TestLog } from './harness.js';
import { BIN, run } from './process.js';

interface Stream {
  readonly status: number;
  readonly headers: Headers;
  readonly events: ServerSentEvent[];
  /** Resolves with the first event (from the start of the stream) that matches, or rejects after `ms`. */
  waitFor(match: (e: ServerSentEvent) => boolean, ms?: number): Promise<ServerSentEvent>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

async function openStream(url: string, token?: string, headers: Record<string, string> = {}): Promise<Stream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) }, signal: abort.signal });
  const events: ServerSentEvent[] = [];
  const waiters = new Set<() => void>();
  const ended = (async () => {
    if (!res.ok || !res.body) return;
    try {
      for await (const e of readEvents(res.body as unknown as AsyncIterable<Uint8Array>)) {
        events.push(e);
        for (const w of waiters) w();
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    events,
    ended,
    close: () => abort.abort(),
    waitFor: (match, ms = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = events.find(match);
          if (found) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching event within ${ms} ms; got ${JSON.stringify(events)}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
}

const data = (e: ServerSentEvent): any => JSON.parse(e.data);
const checkpointOf = (size: number) => (e: ServerSentEvent) => e.event === 'checkpoint' && data(e).tree_size === size;
const records = (s: Stream): any[] => s.events.filter((e) => e.event === 'record').map(data);

function postBatch(t: TestLog, batch: unknown[]): Promise<{ status: number; text: string }> {
  return http(`${t.url}/ct/v1/add-entries`, { method: 'POST', token: t.tokens['alice'], headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
}

describe('GET /v1/stream', () => {
  let t: TestLog;
  const open: Stream[] = [];
  const stream = async (query = '', token?: string): Promise<Stream> => {
    const s = await openStream(`${t.url}/v1/stream${query}`, token);
    open.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await startLog({
      principals: {
        alice: 'submitter',
        carol: 'auditor',
        dave: { role: 'auditor', tenants: ['tenant-a'] },
        root: 'admin',
      },
    });
    expect((await postRecord(t, auditRecord(0))).status).toBe(200);
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await t.destroy();
  });

  it('anyone gets the current checkpoint at once, then one per published pass, and no records', async () => {
    const s = await stream();
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(s.headers.get('cache-control')).toBe('no-store');
    const first = await s.waitFor(() => true);
    expect(first.event).toBe('checkpoint');
    const size = t.log.head.size;
    expect(first.id).toBe(String(size));
    expect(data(first)).toEqual({
      tree_size: size,
      timestamp: t.log.head.timestamp,
      root_hash: Buffer.from(t.log.head.rootHash).toString('base64'),
      checkpoint: t.log.head.checkpoint,
    });
    const res = await postRecord(t, auditRecord(1, { tenant_id: 'tenant-a' }));
    expect(res.status).toBe(200);
    const next = await s.waitFor(checkpointOf(size + 1));
    expect(next.id).toBe(String(size + 1));
    // The event's checkpoint is the one the receipt carries.
    expect(data(next).checkpoint).toBe(res.json.checkpoint);
    expect(records(s)).toEqual([]);
  });

  it("a scoped auditor gets its tenant's records only, even from a pass that also logged another tenant's", async () => {
    const scoped = await stream('', t.tokens['dave']);
    const all = await stream('', t.tokens['carol']);
    await scoped.waitFor(() => true);
    await all.waitFor(() => true);
    const before = t.log.head.size;
    // add-entries logs a batch in one pass.
    const batch = [
      auditRecord(10, { event_id: 'evt-a1', tenant_id: 'tenant-a' }),
      auditRecord(11, { event_id: 'evt-b1', tenant_id: 'tenant-b' }),
      { event_id: 'evt-none', model: 'gpt-5.1' },
      auditRecord(12, { event_id: 'evt-a2', tenant_id: 'tenant-a' }),
    ];
    const res = await postBatch(t, batch);
    expect(res.status, res.text).toBe(200);
    await scoped.waitFor(checkpointOf(before + 4));
    await all.waitFor(checkpointOf(before + 4));

    expect(records(scoped).map((r) => r.event_id)).toEqual(['evt-a1', 'evt-a2']);
    expect(records(all).map((r) => r.event_id)).toEqual(['evt-a1', 'evt-b1', 'evt-none', 'evt-a2']);
    const summary = records(scoped)[0];
    expect(summary).toEqual({
      leaf_index: before,
      timestamp: expect.any(Number),
      submitter: 'alice',
      event_id: 'evt-a1',
      tenant_id: 'tenant-a',
      fields: Object.keys(batch[0]!),
    });
    // A summary: names, never values.
    expect(scoped.events.some((e) => e.data.includes('user-10@example.com'))).toBe(false);
    expect(records(all)[2]).not.toHaveProperty('tenant_id');
    // Record events come before the checkpoint that covers them; ids are positions: a record's is its
    // leaf index + 1, a checkpoint's its tree size.
    const ids = all.events.slice(-5).map((e) => `${e.event}:${e.id}`);
    expect(ids).toEqual([1, 2, 3, 4].map((i) => `record:${before + i}`).concat(`checkpoint:${before + 4}`));
  });

  it('?filter= narrows the records: result=block OR result=escalate', async () => {
    const s = await stream(`?filter=${encodeURIComponent('result=block OR result=escalate AND tenant_id=tenant-a')}`, t.tokens['root']);
    await s.waitFor(() => true);
    const before = t.log.head.size;
    const res = await postBatch(t, [
      { event_id: 'f0', result: 'block', tenant_id: 'tenant-b' },
      { event_id: 'f1', result: 'allow', tenant_id: 'tenant-a' },
      { event_id: 'f2', result: 'escalate', tenant_id: 'tenant-a' },
      { event_id: 'f3', result: 'escalate', tenant_id: 'tenant-b' },
      { event_id: 'f4', result: { nested: 'block' } },
    ]);
    expect(res.status, res.text).toBe(200);
    await s.waitFor(checkpointOf(before + 5));
    expect(records(s).map((r) => r.event_id)).toEqual(['f0', 'f2']);
  });

  it('refuses before streaming: a bad filter 400, a filter without a token 401, a bad token 401, a submitter 403', async () => {
    const bad = await http(`${t.url}/v1/stream?filter=${encodeURIComponent('result=block OR')}`, { token: t.tokens['carol'] });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error_code: 'malformed', error_message: expect.stringMatching(/^filter: the filter ends after OR/) });
    const anonymousFilter = await http(`${t.url}/v1/stream?filter=a=b`);
    expect(anonymousFilter.status).toBe(401);
    expect(anonymousFilter.json.error_message).toMatch(/auditor or admin token/);
    const unknown = await http(`${t.url}/v1/stream`, { token: 'st_not-a-real-token' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('content-type')).toMatch(/json/);
    const submitter = await http(`${t.url}/v1/stream`, { token: t.tokens['alice'] });
    expect(submitter.status).toBe(403);
    expect(submitter.json.error_code).toBe('forbidden');
  });

  it('a client that goes away is unsubscribed', async () => {
    const s = await stream();
    await s.waitFor(() => true);
    s.close();
    // The log keeps publishing with the client gone.
    expect((await postRecord(t, auditRecord(20))).status).toBe(200);
    expect((await postRecord(t, auditRecord(21))).status).toBe(200);
  });
});

describe('GET /v1/stream at shutdown', () => {
  it('ends every open stream when the log drains, so that stopping does not wait for them', async () => {
    const t = await startLog({ principals: { alice: 'submitter', carol: 'auditor' } });
    try {
      const anonymous = await openStream(`${t.url}/v1/stream`);
      const auditor = await openStream(`${t.url}/v1/stream`, t.tokens['carol']);
      await anonymous.waitFor(() => true);
      await auditor.waitFor(() => true);
      expect((await postRecord(t, auditRecord(0))).status).toBe(200);
      await auditor.waitFor((e) => e.event === 'record');
      const started = performance.now();
      await t.stop();
      // The harness forces connections closed after 1000 ms; a stream that held the server open would reach it.
      expect(performance.now() - started).toBeLessThan(900);
      await anonymous.ended;
      await auditor.ended;
      // The last checkpoint was delivered before the stream ended.
      expect(anonymous.events.at(-1)).toMatchObject({ event: 'checkpoint', id: '1' });
    } finally {
      await t.destroy();
    }
  });
});

describe('GET /v1/stream flow control', () => {
  it('drops a client that does not read once MAX queued events are waiting, and sends keep-alive comments', async () => {
    const t = await startLog();
    try {
      const app = new Hono();
      // Anonymous streams never consult the authenticator.
      registerStreamRoute(app, { log: t.log, auth: {} as Authenticator, maxQueuedEvents: 5, keepAliveMs: 20 });
      // app.request has no socket: nobody reads the body, as with a client that stopped reading.
      const stalled = await app.request('/v1/stream');
      expect(stalled.status).toBe(200);
      for (let i = 0; i < 6; i++) expect((await postRecord(t, auditRecord(i))).status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      const reader = stalled.body!.getReader();
      // Whatever was queued may be read, then the stream fails: the server cut it.
      await expect(
        (async () => {
          for (;;) if ((await reader.read()).done) return 'ended normally';
        })(),
      ).rejects.toThrow(/reads too slowly/);
      // The sequencer went on regardless.
      expect(t.log.head.size).toBe(6);

      const live = await app.request('/v1/stream');
      const comments: string[] = [];
      const text = new TextDecoder();
      const r2 = live.body!.getReader();
      while (comments.length < 2) {
        const { value } = await r2.read();
        for (const line of text.decode(value).split('\n')) if (line.startsWith(':')) comments.push(line);
      }
      expect(comments[0]).toBe(': keep-alive');
      await r2.cancel();
    } finally {
      await t.destroy();
    }
  });
});

describe('Last-Event-ID: a reconnecting reader gets what it missed', () => {
  let t: TestLog;
  const open: Stream[] = [];
  const stream = async (token: string | undefined, lastEventId?: string): Promise<Stream> => {
    const s = await openStream(`${t.url}/v1/stream`, token, lastEventId === undefined ? {} : { 'last-event-id': lastEventId });
    open.push(s);
    return s;
  };
  beforeAll(async () => {
    t = await startLog({ principals: { alice: 'submitter', carol: 'auditor', dave: { role: 'auditor', tenants: ['tenant-a'] } } });
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await t.destroy();
  });

  it('replays the records after the last id, within scope, then the checkpoint, then live events, in order', async () => {
    const first = await stream(t.tokens['dave']);
    await first.waitFor(checkpointOf(0));
    expect((await postBatch(t, [auditRecord(0, { tenant_id: 'tenant-a' }), auditRecord(1, { tenant_id: 'tenant-b' })])).status).toBe(200);
    const seen = await first.waitFor(checkpointOf(2));
    first.close();
    // Missed while away: a pass of three, one of them another tenant's.
    expect(
      (await postBatch(t, [auditRecord(2, { tenant_id: 'tenant-a' }), auditRecord(3, { tenant_id: 'tenant-b' }), auditRecord(4, { tenant_id: 'tenant-a' })])).status,
    ).toBe(200);

    const again = await stream(t.tokens['dave'], seen.id);
    await again.waitFor(checkpointOf(5));
    expect((await postRecord(t, auditRecord(5, { tenant_id: 'tenant-a' }))).status).toBe(200);
    await again.waitFor(checkpointOf(6));
    expect(again.events.map((e) => `${e.event}:${e.id}`)).toEqual(['record:3', 'record:5', 'checkpoint:5', 'record:6', 'checkpoint:6']);
    expect(records(again).map((r) => r.leaf_index)).toEqual([2, 4, 5]);

    // From a record's id: what follows that record. Without a token: nothing to replay.
    const fromRecord = await stream(t.tokens['carol'], '4');
    await fromRecord.waitFor(checkpointOf(6));
    expect(records(fromRecord).map((r) => r.leaf_index)).toEqual([4, 5]);
    const anonymous = await stream(undefined, '0');
    await anonymous.waitFor(checkpointOf(6));
    expect(anonymous.events.map((e) => e.event)).toEqual(['checkpoint']);
    // An id at or beyond the head: nothing missed.
    const current = await stream(t.tokens['carol'], '99');
    await current.waitFor(checkpointOf(6));
    expect(current.events.map((e) => e.event)).toEqual(['checkpoint']);
  });

  it('replays at most 500 entries and says which ones it skipped with a gap event', async () => {
    const before = t.log.head.size;
    const batch = Array.from({ length: 600 }, (_, i) => auditRecord(100 + i, { tenant_id: 'tenant-a' }));
    expect((await postBatch(t, batch)).status).toBe(200);
    const s = await stream(t.tokens['carol'], String(before));
    const after = before + 600;
    await s.waitFor(checkpointOf(after));
    const gap = s.events[0]!;
    expect(gap.event).toBe('gap');
    expect(data(gap)).toEqual({ from: before, to: after - 500 });
    expect(records(s).map((r) => r.leaf_index)).toEqual(Array.from({ length: 500 }, (_, i) => after - 500 + i));
  });

  it('refuses a Last-Event-ID that is not a position', async () => {
    for (const id of ['-1', 'abc', '01', '1e3']) {
      const r = await http(`${t.url}/v1/stream`, { token: t.tokens['carol'], headers: { 'last-event-id': id } });
      expect(r.status, id).toBe(400);
      expect(r.json).toMatchObject({ error_code: 'malformed' });
      expect(r.json.error_message).toMatch(/Last-Event-ID must be an id this stream sent/);
    }
  });
});

describe('sealtrail tail', () => {
  let t: TestLog;
  beforeAll(async () => {
    t = await startLog({ principals: { alice: 'submitter', dave: { role: 'auditor', tenants: ['tenant-a'] } } });
  });
  afterAll(() => t.destroy());

  it('prints checkpoints and in-scope record summaries as JSON lines, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'tail', '--url', t.url, '--token', t.tokens['dave']!, '--json', '--filter', 'category=block'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const lines = async (n: number): Promise<any[]> => {
      for (let i = 0; i < 200; i++) {
        const got = stdout.split('\n').filter(Boolean);
        if (got.length >= n) return got.map((l) => JSON.parse(l));
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`tail printed ${JSON.stringify(stdout)} (stderr ${JSON.stringify(stderr)})`);
    };
    try {
      expect((await lines(1))[0]).toMatchObject({ event: 'checkpoint', tree_size: 0 });
      const res = await postBatch(t, [
        auditRecord(0, { event_id: 'a-block', tenant_id: 'tenant-a', category: 'block' }),
        auditRecord(1, { event_id: 'b-block', tenant_id: 'tenant-b', category: 'block' }),
        auditRecord(2, { event_id: 'a-normal', tenant_id: 'tenant-a', category: 'normal' }),
      ]);
      expect(res.status, res.text).toBe(200);
      const out = await lines(3);
      expect(out[1]).toMatchObject({ event: 'record', leaf_index: 0, event_id: 'a-block', tenant_id: 'tenant-a', submitter: 'alice' });
      expect(out[2]).toMatchObject({ event: 'checkpoint', tree_size: 3 });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).not.toContain('b-block');
  });

  it('prints a human line per event by default', async () => {
    const child = spawn(process.execPath, [BIN, 'tail', '--url', t.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 200 && !stdout.includes('\n'); i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/^checkpoint \S+Z tree_size=3 root_hash=\S+\n$/);
  });

  it('usage errors exit 2, a refused token exits 1, --help exits 0', async () => {
    const help = await run(['tail', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: sealtrail tail --url URL/);
    expect((await run(['tail'])).code).toBe(2);
    const noUrl = await run(['tail', '--json']);
    expect(noUrl.stderr).toMatch(/--url is required/);
    const badUrl = await run(['tail', '--url', 'ftp://x']);
    expect(badUrl.code).toBe(2);
    const badFilter = await run(['tail', '--url', t.url, '--token', 'x', '--filter', 'a=b AND']);
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toMatch(/--filter: the filter ends after AND/);
    const filterNoToken = await run(['tail', '--url', t.url, '--filter', 'a=b']);
    expect(filterNoToken.code).toBe(2);
    const submitter = await run(['tail', '--url', t.url, '--token', t.tokens['alice']!]);
    expect(submitter.code).toBe(1);
    expect(submitter.stderr).toMatch(/answered 403: this endpoint needs the role auditor or admin/);
  });
});
