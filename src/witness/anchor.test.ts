/**
 * Anchoring: when the witness anchors (thresholds), what it anchors (PROTOCOL §7), that a restart
 * resumes without anchoring again, fork alerts, and the `anchors` listing. Real LevelDB in temp
 * directories, real HTTP on port 0.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { tempDir } from '../../test/harness.js';
import { Anchorer, printAnchors, type AnchorerOptions } from './anchor.js';
import { backoffDelay } from './anchor-options.js';
import { AnchorStore } from './anchor-store.js';
import { cosigning, LIVENESS_MS, waitFor, webhookReceiver, type WebhookReceiver } from './anchor-testing.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function dir(): Promise<string> {
  const d = await tempDir('sealtrail-anchor-');
  cleanups.push(d.remove);
  return d.path;
}

async function receiver(): Promise<WebhookReceiver> {
  const r = await webhookReceiver();
  cleanups.push(r.close);
  return r;
}

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const ORIGIN = 'example.org/log';
const keys = cosigning(ORIGIN);

/** Opens an anchorer on a clock the test moves; closed after the test. */
async function anchorer(options: Partial<AnchorerOptions> & Pick<AnchorerOptions, 'dir' | 'sinks'>): Promise<{ a: Anchorer; clock: { now: number } }> {
  const clock = { now: T0 };
  const a = await Anchorer.open({
    everyEntries: 10,
    everySeconds: 600,
    witnessVerifierKey: keys.witnessVerifierKey,
    now: () => clock.now,
    backoff: { initialMs: 20, maxMs: 200 },
    ...options,
  });
  cleanups.push(() => a.close());
  return { a, clock };
}

const sizes = async (a: Anchorer, origin = ORIGIN): Promise<number[]> => (await a.list()).filter((x) => x.origin === origin).map((x) => x.treeSize);

describe('when to anchor', () => {
  test('the first cosignature of a log is anchored at once, as the record of PROTOCOL §7', async () => {
    const d = await dir();
    const file = join(d, 'out', 'anchors.jsonl');
    const { a } = await anchorer({ dir: d, sinks: [{ type: 'file', path: file }] });
    const c = keys.at(5);
    a.noteCosigned(c);
    await a.flush();
    const [anchor, ...rest] = await a.list();
    expect(rest).toEqual([]);
    const record = JSON.parse(anchor!.record) as Record<string, unknown>;
    expect(Object.keys(record)).toEqual(['type', 'origin', 'tree_size', 'root_hash', 'checkpoint', 'witness', 'anchored_at']);
    expect(record).toEqual({
      type: 'sealtrail.anchor/v1',
      origin: ORIGIN,
      tree_size: 5,
      root_hash: Buffer.from(c.rootHash).toString('base64'),
      checkpoint: c.cosignedNote,
      witness: keys.witnessVerifierKey,
      anchored_at: T0,
    });
    expect(await readFile(file, 'utf8')).toBe(`${anchor!.record}\n`);
  });

  test('nothing is anchored while the tree does not grow, however much time passes', async () => {
    const d = await dir();
    const { a, clock } = await anchorer({ dir: d, sinks: [{ type: 'file', path: join(d, 'a.jsonl') }] });
    a.noteCosigned(keys.at(5));
    a.noteCosigned(keys.at(5));
    clock.now += 3600_000;
    a.noteCosigned(keys.at(5));
    a.noteCosigned(keys.at(4)); // older than what was cosigned: never anchored
    await a.flush();
    expect(await sizes(a)).toEqual([5]);
  });

  test('anchors when the log grew by everyEntries, or everySeconds passed and it grew', async () => {
    const d = await dir();
    const { a, clock } = await anchorer({ dir: d, sinks: [{ type: 'file', path: join(d, 'a.jsonl') }] });
    a.noteCosigned(keys.at(5));
    clock.now += 1000;
    a.noteCosigned(keys.at(14)); // +9 < 10
    await a.flush();
    expect(await sizes(a)).toEqual([5]);
    a.noteCosigned(keys.at(15)); // +10
    await a.flush();
    expect(await sizes(a)).toEqual([5, 15]);

    clock.now += 599_000;
    a.noteCosigned(keys.at(16)); // 599 s after the last anchor
    await a.flush();
    expect(await sizes(a)).toEqual([5, 15]);
    clock.now += 1000;
    a.noteCosigned(keys.at(17)); // 600 s
    await a.flush();
    expect(await sizes(a)).toEqual([5, 15, 17]);
    expect((await a.list()).map((x) => x.anchoredAt)).toEqual([T0, T0 + 1000, T0 + 601_000]);

    // Another log has thresholds of its own: its first cosignature is anchored at once.
    const other = cosigning('example.net/other');
    a.noteCosigned(other.at(1));
    await a.flush();
    expect(await sizes(a, 'example.net/other')).toEqual([1]);
  });

  test('the time threshold fires without another cosignature (timer, and flush)', async () => {
    const d = await dir();
    const sinks = [{ type: 'file' as const, path: join(d, 'a.jsonl') }];
    // Real clock: everySeconds 0.3, and no further cosignature after size 2.
    const real = await Anchorer.open({ dir: d, sinks, everyEntries: 1000, everySeconds: 0.3, witnessVerifierKey: keys.witnessVerifierKey });
    cleanups.push(() => real.close());
    real.noteCosigned(keys.at(1));
    real.noteCosigned(keys.at(2));
    await real.flush();
    expect(await sizes(real)).toEqual([1]);
    await waitFor(async () => (await sizes(real)).length === 2, LIVENESS_MS, 'the timer to anchor size 2');
    expect(await sizes(real)).toEqual([1, 2]);
    await real.close();

    // Injected clock: flush() evaluates the time threshold too.
    const { a, clock } = await anchorer({ dir: d, sinks });
    clock.now = Date.now();
    a.noteCosigned(keys.at(3));
    await a.flush();
    expect(await sizes(a)).toEqual([1, 2]);
    clock.now += 600_000;
    await a.flush();
    expect(await sizes(a)).toEqual([1, 2, 3]);
  });

  test('a cosigned checkpoint that does not match its origin, size and root is ignored, and logged', async () => {
    const d = await dir();
    const lines: Record<string, unknown>[] = [];
    const { a } = await anchorer({ dir: d, sinks: [{ type: 'file', path: join(d, 'a.jsonl') }], log: (l) => lines.push(l) });
    expect(() => a.noteCosigned({ ...keys.at(5), size: 6 })).not.toThrow();
    expect(() => a.noteCosigned({ ...keys.at(5), rootHash: new Uint8Array(31) })).not.toThrow();
    await a.flush();
    expect(await a.list()).toEqual([]);
    expect(lines.filter((l) => l['level'] === 'error')).toHaveLength(2);
  });
});

describe('restart', () => {
  test('pending deliveries resume after Anchorer.open on the same dir, and nothing is anchored again', async () => {
    const d = await dir();
    const hook = await receiver();
    hook.failNext(1_000_000);
    const sinks = [{ type: 'webhook' as const, url: `${hook.url}/anchors` }];
    const first = await anchorer({ dir: d, sinks });
    first.a.noteCosigned(keys.at(5));
    first.a.noteCosigned(keys.at(9)); // below both thresholds: waits
    await waitFor(() => hook.requests.length >= 2, LIVENESS_MS, 'two failed attempts');
    await first.a.close();

    hook.failNext(0);
    const before = hook.requests.length;
    const second = await anchorer({ dir: d, sinks });
    // No flush, no cosignature: open() resumes the pending delivery by itself.
    const [anchor] = await waitFor(async () => {
      const list = await second.a.list();
      return list[0]?.deliveries[0]?.state === 'delivered' ? list : undefined;
    }, LIVENESS_MS, 'the resumed delivery');
    expect(anchor!.deliveries[0]!.attempts).toBeGreaterThanOrEqual(3);
    expect(hook.requests.slice(before).filter((r) => r.status === 204).map((r) => r.body)).toEqual([anchor!.record]);

    second.a.noteCosigned(keys.at(5));
    await second.a.flush();
    expect(await sizes(second.a)).toEqual([5]);
    // Size 9 was cosigned before the restart; the time threshold still applies to it.
    second.clock.now += 600_000;
    await second.a.flush();
    expect(await sizes(second.a)).toEqual([5, 9]);
    expect((await second.a.list()).map((x) => x.seq)).toEqual([1, 2]);
  });

  test('start-up reads the pending deliveries and their anchors, not the delivered history', async () => {
    const d = await dir();
    const store = await AnchorStore.open(join(d, 'anchors'));
    const sink = { id: '0123456789abcdef', type: 'file' as const, label: '/tmp/x' };
    const anchor = (seq: number) => ({ seq, origin: ORIGIN, treeSize: seq, rootHash: 'AA==', anchoredAt: T0, record: `{"n":${seq}}`, idempotencyKey: `k${seq}` });
    await store.write({ anchors: [anchor(1), anchor(2), anchor(3)], deliveries: [1, 2, 3].map((seq) => ({ seq, sink, state: 'pending' as const, attempts: 0 })) });
    await store.write({ deliveries: [1, 3].map((seq) => ({ seq, sink, state: 'delivered' as const, attempts: 1, deliveredAt: T0 })) });
    const active = await store.loadActive();
    expect(active.anchors.map((a) => a.seq)).toEqual([2]);
    expect(active.pending.map((x) => [x.seq, x.state])).toEqual([[2, 'pending']]);
    expect(active.lastSeq).toBe(3);
    expect((await store.loadHistory()).deliveries.map((x) => [x.seq, x.state])).toEqual([
      [1, 'delivered'],
      [2, 'pending'],
      [3, 'delivered'],
    ]);
    await store.close();
  });
});

describe('fork alerts', () => {
  test('notifyFork reaches every webhook sink (retried), and no other sink', async () => {
    const d = await dir();
    const one = await receiver();
    const two = await receiver();
    two.failNext(1);
    const file = join(d, 'a.jsonl');
    const { a } = await anchorer({ dir: d, sinks: [{ type: 'webhook', url: one.url }, { type: 'webhook', url: two.url }, { type: 'file', path: file }] });
    const evidence = { origin: ORIGIN, checkpoints: [keys.at(5).cosignedNote, 'another note'], detected_at: T0 };
    await a.notifyFork(evidence);
    for (const r of [one, two]) {
      const delivered = r.requests.filter((q) => q.status === 204);
      expect(delivered).toHaveLength(1);
      expect(delivered[0]!.headers['content-type']).toBe('application/json');
      expect(JSON.parse(delivered[0]!.body)).toEqual({ type: 'sealtrail.fork-alert/v1', evidence });
    }
    expect(two.requests).toHaveLength(2);
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
    expect(await a.list()).toEqual([]);
  });
});

describe('sealtrail witness anchors', () => {
  test('prints a table by default and JSON with --json; a running witness holds the store', async () => {
    const d = await dir();
    const hook = await receiver();
    hook.failNext(1_000_000, 503);
    const file = join(d, 'a.jsonl');
    const { a } = await anchorer({ dir: d, sinks: [{ type: 'file', path: file }, { type: 'webhook', url: `${hook.url}/secret-path?token=abc` }] });
    a.noteCosigned(keys.at(5));
    await a.flush();
    await waitFor(async () => (await a.list())[0]?.deliveries.every((x) => x.attempts > 0), LIVENESS_MS, 'both sinks tried');

    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    expect(await printAnchors(d, false, io)).toBe(1);
    expect(err.join('')).toMatch(/in use by a running witness; stop it first/);
    await a.close();

    expect(await printAnchors(d, false, io)).toBe(0);
    const table = out.join('');
    expect(table).toContain(`1 anchor in ${d}, 1 delivery pending`);
    expect(table).toContain(`#1  ${ORIGIN}  tree size 5  root ${Buffer.from(keys.at(5).rootHash).toString('base64')}  anchored 2026-11-23T12:00:00.000Z`);
    expect(table).toMatch(new RegExp(`file +${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +delivered +1 attempt `));
    expect(table).toMatch(/webhook +http:\/\/127\.0\.0\.1:\d+\/… \[[0-9a-f]{8}\] +pending +\d+ attempts? +last error at .*HTTP 503/);
    expect(table).not.toContain('secret-path');
    expect(table).not.toContain('token=abc');

    out.length = 0;
    expect(await printAnchors(d, true, io)).toBe(0);
    const json = JSON.parse(out.join('')) as { anchors: Record<string, unknown>[] };
    expect(json.anchors).toHaveLength(1);
    expect(json.anchors[0]).toMatchObject({ seq: 1, origin: ORIGIN, tree_size: 5, anchored_at: T0, record: { type: 'sealtrail.anchor/v1', tree_size: 5 } });
    const deliveries = json.anchors[0]!['deliveries'] as Record<string, unknown>[];
    expect(deliveries.map((x) => [x['type'], x['state']])).toEqual([
      ['file', 'delivered'],
      ['webhook', 'pending'],
    ]);

    out.length = 0;
    const empty = await dir();
    expect(await printAnchors(empty, false, io)).toBe(0);
    expect(out.join('')).toBe(`no anchors in ${empty} yet\n`);
  });
});

describe('options and shape', () => {
  test('bad options are refused with the option named; a repeated sink too', async () => {
    const d = await dir();
    const base = { dir: d, sinks: [], everyEntries: 10, everySeconds: 600, witnessVerifierKey: keys.witnessVerifierKey };
    await expect(Anchorer.open({ ...base, everyEntries: -1 })).rejects.toThrow(/everyEntries/);
    await expect(Anchorer.open({ ...base, everySeconds: Number.NaN })).rejects.toThrow(/everySeconds/);
    await expect(Anchorer.open({ ...base, witnessVerifierKey: 'nope' })).rejects.toThrow(/verifier key/);
    await expect(Anchorer.open({ ...base, sinks: [{ type: 'log', url: 'http://x', token: 't', verifier_key: 'bad' }] })).rejects.toThrow(/verifier key/);
    const file = { type: 'file' as const, path: join(d, 'a.jsonl') };
    await expect(Anchorer.open({ ...base, sinks: [file, { ...file }] })).rejects.toThrow(/sinks\[1\] repeats/);
    // Each refusal closed the store again: it opens now.
    await (await Anchorer.open(base)).close();
  });

  test('backoff doubles from the first delay to the cap, each delay jittered to 50-100 %', () => {
    expect([1, 2, 3, 9, 10, 100].map((n) => backoffDelay(n, 1000, 300_000, () => 1))).toEqual([1000, 2000, 4000, 256_000, 300_000, 300_000]);
    expect([1, 2, 3].map((n) => backoffDelay(n, 1000, 300_000, () => 0))).toEqual([500, 1000, 2000]);
  });
});
