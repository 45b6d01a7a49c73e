/**
 * The `log` sink against a real sealtrail log (test/harness.ts startLog: real LevelDB, real HTTP):
 * the receipt verifies and is kept, retries never log twice, an unverifiable receipt is a failure.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { http, startLog, tempDir, type TestLog } from '../../test/harness.js';
import { verifyReceipt } from '../client/receipt.js';
import { generateSignerKey } from '../note/index.js';
import { Anchorer, type AnchorSinkConfig } from './anchor.js';
import { cosigning, logProxy, LIVENESS_MS, waitFor } from './anchor-testing.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const keys = cosigning('example.org/watched');
const ANCHOR_LOG = 'anchors.example/log';

async function anchorLog(dir?: string): Promise<TestLog> {
  const log = await startLog({ origin: ANCHOR_LOG, ...(dir === undefined ? {} : { dir }) });
  cleanups.push(dir === undefined ? log.destroy : log.stop);
  return log;
}

async function open(sinks: AnchorSinkConfig[], lines: Record<string, unknown>[] = []): Promise<{ a: Anchorer; dir: string }> {
  const d = await tempDir('sealtrail-anchor-');
  cleanups.push(d.remove);
  const a = await Anchorer.open({
    dir: d.path,
    sinks,
    everyEntries: 1,
    everySeconds: 600,
    witnessVerifierKey: keys.witnessVerifierKey,
    backoff: { initialMs: 20, maxMs: 100 },
    log: (l) => lines.push(l),
  });
  cleanups.push(() => a.close());
  return { a, dir: d.path };
}

const treeSize = async (url: string): Promise<number> => (await http(`${url}/ct/v1/get-sth`)).json.tree_size as number;

const delivered = (a: Anchorer, seq = 1) => async () => {
  const anchor = (await a.list()).find((x) => x.seq === seq);
  return anchor?.deliveries[0]?.state === 'delivered' ? anchor : undefined;
};

describe('log sink', () => {
  test('the anchor record is logged; the receipt verifies with the log key and is listed', async () => {
    const target = await anchorLog();
    const lines: Record<string, unknown>[] = [];
    const { a } = await open([{ type: 'log', url: `${target.url}/`, token: target.tokens['alice']!, verifier_key: target.verifierKey }], lines);
    a.noteCosigned(keys.at(3));
    a.noteCosigned(keys.at(4));
    await a.flush();
    const list = await a.list();
    expect(list.map((x) => x.treeSize)).toEqual([3, 4]);
    for (const [i, anchor] of list.entries()) {
      const d = anchor.deliveries[0]!;
      expect(d).toMatchObject({ type: 'log', state: 'delivered', attempts: 1 });
      const verified = verifyReceipt(d.receipt, new TextEncoder().encode(anchor.record), target.verifierKey);
      expect(verified).toMatchObject({ origin: ANCHOR_LOG, leafIndex: i, submitter: 'alice' });
      expect([...verified.fields].sort()).toEqual(['anchored_at', 'checkpoint', 'origin', 'root_hash', 'tree_size', 'type', 'witness']);
    }
    expect(await treeSize(target.url)).toBe(2);
    expect(JSON.stringify(lines)).not.toContain(target.tokens['alice']);
  });

  test('an answer lost after logging, then the log down and restarted: retries log the anchor once', async () => {
    const first = await anchorLog();
    const proxy = await logProxy(first.url);
    cleanups.push(proxy.close);
    proxy.mode = 'lose-answer';
    const { a } = await open([{ type: 'log', url: proxy.url, token: first.tokens['alice']!, verifier_key: first.verifierKey }]);
    a.noteCosigned(keys.at(7));
    await waitFor(async () => ((await a.list())[0]?.deliveries[0]?.attempts ?? 0) >= 2, LIVENESS_MS, 'two attempts whose answers were lost');
    proxy.mode = 'down';
    const afterLost = proxy.forwarded;
    expect(afterLost).toBeGreaterThanOrEqual(2);
    expect(await treeSize(first.url)).toBe(1);

    await first.stop();
    const again = await anchorLog(first.dir);
    proxy.target = again.url;
    proxy.mode = 'pass';
    const anchor = await waitFor(delivered(a), LIVENESS_MS, 'the delivery through the restarted log');
    expect(proxy.forwarded).toBeGreaterThan(afterLost);
    const d = anchor.deliveries[0]!;
    expect(d.attempts).toBeGreaterThanOrEqual(3);
    expect(verifyReceipt(d.receipt, new TextEncoder().encode(anchor.record), again.verifierKey).leafIndex).toBe(0);
    expect(await treeSize(again.url)).toBe(1);
  });

  test('a receipt that does not verify is a failed delivery, retried; fixing the key delivers without a second entry', async () => {
    const target = await anchorLog();
    const impostor = generateSignerKey(ANCHOR_LOG, (n) => new Uint8Array(randomBytes(n))).verifierKey;
    const lines: Record<string, unknown>[] = [];
    const sink = { type: 'log' as const, url: target.url, token: target.tokens['alice']!, verifier_key: impostor };
    const { a, dir } = await open([sink], lines);
    a.noteCosigned(keys.at(2));
    const [anchor] = await waitFor(async () => {
      const list = await a.list();
      return (list[0]?.deliveries[0]?.attempts ?? 0) >= 2 ? list : undefined;
    }, LIVENESS_MS, 'two attempts');
    expect(anchor!.deliveries[0]).toMatchObject({ state: 'pending' });
    expect(anchor!.deliveries[0]!.lastError).toMatch(/receipt does not verify: the checkpoint does not verify/);
    expect(anchor!.deliveries[0]!.receipt).toBeUndefined();
    expect(lines.some((l) => l['level'] === 'warn' && /receipt does not verify/.test(String(l['error'])))).toBe(true);
    await a.close();

    const fixed = await Anchorer.open({ dir, sinks: [{ ...sink, verifier_key: target.verifierKey }], everyEntries: 1, everySeconds: 600, witnessVerifierKey: keys.witnessVerifierKey });
    cleanups.push(() => fixed.close());
    const done = await waitFor(delivered(fixed), LIVENESS_MS, 'the delivery with the right key');
    expect(verifyReceipt(done.deliveries[0]!.receipt, new TextEncoder().encode(done.record), target.verifierKey).leafIndex).toBe(0);
    expect(await treeSize(target.url)).toBe(1);
  });

  test('a refused token is a pending delivery whose error says so, and never shows the token', async () => {
    const target = await anchorLog();
    const lines: Record<string, unknown>[] = [];
    const { a } = await open([{ type: 'log', url: target.url, token: 'st_not-a-real-token', verifier_key: target.verifierKey }], lines);
    a.noteCosigned(keys.at(2));
    const [anchor] = await waitFor(async () => {
      const list = await a.list();
      return list[0]?.deliveries[0]?.lastError ? list : undefined;
    }, LIVENESS_MS, 'a failed attempt');
    expect(anchor!.deliveries[0]!.lastError).toMatch(/HTTP 401 \(unauthorized: /);
    expect(JSON.stringify(lines)).not.toContain('st_not-a-real-token');
    expect(JSON.stringify(await a.list())).not.toContain('st_not-a-real-token');
    expect(await treeSize(target.url)).toBe(0);
  });
});
