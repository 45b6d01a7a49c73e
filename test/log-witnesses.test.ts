/**
 * The log's side of tlog-witness: pushing checkpoints, collecting cosignatures, serving them, and
 * never letting a witness slow add-entry.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCosignerKey } from '../src/note/index.js';
import { http, postRecord, startLog } from './harness.js';
import type { TestLog } from './harness.js';

describe('a witness that never answers', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let t: TestLog;
  const { verifierKey } = generateCosignerKey('silent.example/w', () => new Uint8Array(32).fill(5));
  beforeAll(async () => {
    // Accepts connections and never says a word.
    silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    t = await startLog({ witnesses: [{ url: `http://127.0.0.1:${port}`, verifierKey }], witnessPushIntervalMs: 50 });
  });
  afterAll(async () => {
    await t.destroy();
    for (const s of sockets) s.destroy();
    silent.close();
  });

  it('does not hold up add-entry, and /checkpoint serves the newest signed checkpoint meanwhile', async () => {
    const started = Date.now();
    for (let i = 0; i < 20; i++) expect((await postRecord(t, { i })).status).toBe(200);
    // The pusher's requests wait 2 s for the silent witness; twenty entries are logged well before.
    expect(Date.now() - started).toBeLessThan(1500);
    const checkpoint = (await http(`${t.url}/checkpoint`)).text;
    expect(checkpoint).toBe(t.log.head.checkpoint);
  });

  it('reports the witness in /v1/log with its error', async () => {
    await new Promise((r) => setTimeout(r, 2500));
    const info = (await http(`${t.url}/v1/log`)).json;
    expect(info.witnesses).toHaveLength(1);
    expect(info.witnesses[0]).toMatchObject({ verifier_key: verifierKey, cosigned_size: 0, cosigned_at: null });
    expect(info.witnesses[0].last_error).toMatch(/timeout|aborted/i);
  });
});
