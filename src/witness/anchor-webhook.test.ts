/**
 * The `webhook` sink against a real HTTP receiver on port 0: POSTed JSON, 2xx delivered, retried with
 * a growing backoff, a bounded attempt; and a failing or hanging sink holds up no other sink.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { tempDir } from '../../test/harness.js';
import { Anchorer, printAnchors, type AnchorerOptions } from './anchor.js';
import { cosigning, LIVENESS_MS, waitFor, webhookReceiver, type WebhookReceiver } from './anchor-testing.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const keys = cosigning('example.org/log');

async function receiver(): Promise<WebhookReceiver> {
  const r = await webhookReceiver();
  cleanups.push(r.close);
  return r;
}

async function open(sinks: AnchorerOptions['sinks'], more: Partial<AnchorerOptions> = {}): Promise<{ a: Anchorer; dir: string }> {
  const d = await tempDir('sealtrail-anchor-');
  cleanups.push(d.remove);
  const a = await Anchorer.open({ dir: d.path, sinks, everyEntries: 1, everySeconds: 600, witnessVerifierKey: keys.witnessVerifierKey, ...more });
  cleanups.push(() => a.close());
  return { a, dir: d.path };
}

describe('webhook sink', () => {
  test('retried with a growing backoff until a 2xx; the body is the record, as JSON', async () => {
    const hook = await receiver();
    hook.failNext(4);
    const { a } = await open([{ type: 'webhook', url: `${hook.url}/anchors` }], { backoff: { initialMs: 40, maxMs: 1000 } });
    a.noteCosigned(keys.at(1));
    const [anchor] = await waitFor(async () => {
      const list = await a.list();
      return list[0]?.deliveries[0]?.state === 'delivered' ? list : undefined;
    }, LIVENESS_MS, 'the delivery');
    expect(hook.requests.map((r) => r.status)).toEqual([500, 500, 500, 500, 204]);
    expect(anchor!.deliveries[0]!.attempts).toBe(5);
    for (const r of hook.requests) {
      expect(r.path).toBe('/anchors');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body).toBe(anchor!.record);
    }
    // The n-th wait is 50–100 % of 40 ms × 2^(n−1): at least 20, 40, 80, 160 ms.
    const gaps = hook.requests.slice(1).map((r, i) => r.at - hook.requests[i]!.at);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(20 * 2 ** i - 5));
  });

  test('a failing sink and a hanging sink hold up neither the other sinks nor close()', async () => {
    const good = await receiver();
    const failing = await receiver();
    failing.failNext(1_000_000, 502);
    const hanging = await receiver();
    hanging.hang = true;
    const d = await tempDir('sealtrail-anchor-out-');
    cleanups.push(d.remove);
    const file = join(d.path, 'anchors.jsonl');
    const { a, dir } = await open(
      [
        { type: 'webhook', url: hanging.url },
        { type: 'webhook', url: failing.url },
        { type: 'file', path: file },
        { type: 'webhook', url: good.url },
      ],
      { attemptTimeoutMs: 30_000, closeTimeoutMs: 200, backoff: { initialMs: 20, maxMs: 50 } },
    );
    const started = Date.now();
    a.noteCosigned(keys.at(1));
    a.noteCosigned(keys.at(2));
    await waitFor(async () => (await a.list()).every((x) => x.deliveries.filter((s) => s.state === 'delivered').length === 2), LIVENESS_MS, 'file and good webhook');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(good.requests.map((r) => r.status)).toEqual([204, 204]);
    expect((await readFile(file, 'utf8')).split('\n')).toHaveLength(3);
    await waitFor(() => hanging.requests.length === 1, LIVENESS_MS, 'the hanging attempt');
    await waitFor(() => failing.requests.length >= 4, LIVENESS_MS, 'the failing sink to be retried');
    // Still one: the first attempt is waiting for an answer, and the second anchor queues behind it.
    expect(hanging.requests).toHaveLength(1);

    const closing = Date.now();
    await a.close();
    expect(Date.now() - closing).toBeLessThan(2000);
    // The abandoned attempt stays pending in the store, for the next start.
    const out: string[] = [];
    expect(await printAnchors(dir, true, { out: (t) => out.push(t), err: (t) => out.push(t) })).toBe(0);
    const { anchors } = JSON.parse(out.join('')) as { anchors: { deliveries: { label: string; type: string; state: string }[] }[] };
    const name = (x: { label: string; type: string }): string =>
      x.label.startsWith(`${hanging.url} `) ? 'hanging' : x.label.startsWith(`${failing.url} `) ? 'failing' : x.type;
    for (const anchor of anchors) {
      expect(anchor.deliveries.map((x) => `${name(x)}:${x.state}`).sort()).toEqual(['failing:pending', 'file:delivered', 'hanging:pending', 'webhook:delivered']);
    }
    expect(anchors).toHaveLength(2);
  });

  test('an attempt that gets no answer is bounded by attemptTimeoutMs, then retried', async () => {
    const hook = await receiver();
    hook.hang = true;
    const { a } = await open([{ type: 'webhook', url: hook.url }], { attemptTimeoutMs: 150, backoff: { initialMs: 20, maxMs: 50 } });
    a.noteCosigned(keys.at(1));
    const [anchor] = await waitFor(async () => {
      const list = await a.list();
      return list[0]?.deliveries[0]?.lastError ? list : undefined;
    }, LIVENESS_MS, 'a timed-out attempt');
    expect(anchor!.deliveries[0]!.lastError).toBe('no answer within 150 ms');
    hook.hang = false;
    await waitFor(async () => (await a.list())[0]?.deliveries[0]?.state === 'delivered', LIVENESS_MS, 'the retry');
  });

  test('a redirect is not followed: the POST must reach the configured URL', async () => {
    const target = await receiver();
    const { createServer } = await import('node:http');
    const redirector = createServer((_req, res) => res.writeHead(307, { location: target.url }).end());
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => redirector.close(() => resolve())));
    const { port } = redirector.address() as import('node:net').AddressInfo;
    const { a } = await open([{ type: 'webhook', url: `http://127.0.0.1:${port}/` }], { backoff: { initialMs: 1000, maxMs: 1000 } });
    a.noteCosigned(keys.at(1));
    const [anchor] = await waitFor(async () => {
      const list = await a.list();
      return list[0]?.deliveries[0]?.lastError ? list : undefined;
    }, LIVENESS_MS, 'the refused redirect');
    expect(anchor!.deliveries[0]!.lastError).toMatch(/^the webhook answered HTTP 307/);
    expect(target.requests).toHaveLength(0);
  });
});
