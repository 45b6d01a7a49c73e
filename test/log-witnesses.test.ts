/**
 * The log's side of tlog-witness: pushing checkpoints, collecting cosignatures, serving them, and
 * never letting a witness slow add-entry.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCosignerKey, openCheckpoint, openNote, parseVerifierKey } from '../src/note/index.js';
import { http, postRecord, startLog, tempDir } from './harness.js';
import { run, serve } from './process.js';
import type { Server as LogServer } from './process.js';
import { witnessServe, writeConfig } from './witness-process.js';
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

describe('a log process pushing to a witness process', () => {
  let work: { path: string; remove(): Promise<void> };
  const running: LogServer[] = [];
  beforeAll(async () => {
    work = await tempDir();
  });
  afterAll(async () => {
    for (const s of running) await s.stop('SIGKILL');
    await work.remove();
  });

  it('gets its checkpoints cosigned, serves them, survives a restart (409 retry), and verify-receipt checks them', async () => {
    const logDir = join(work.path, 'log');
    const witnessDir = join(work.path, 'witness');
    expect((await run(['init', '--data', logDir, '--origin', 'pushed.example/log'])).code).toBe(0);
    const token = (await run(['token', 'create', '--data', logDir, '--role', 'submitter', '--name', 'gw'])).stdout.trim().split('\n').pop()!;
    const logKey = (await readFile(join(logDir, 'log.vkey'), 'utf8')).trim();
    expect((await run(['witness', 'init', '--data', witnessDir, '--name', 'witness.example/w1'])).code).toBe(0);
    const witnessKey = (await readFile(join(witnessDir, 'witness.vkey'), 'utf8')).trim();

    const witnessConfig = await writeConfig(join(work.path, 'witness.json'), { logs: [{ origin: 'pushed.example/log', verifier_key: logKey }] });
    const witness = await witnessServe(['--data', witnessDir, '--config', witnessConfig]);
    running.push(witness);
    const logConfig = await writeConfig(join(work.path, 'log.json'), {
      witnesses: [{ url: witness.url, verifier_key: witnessKey }],
      witness_push_interval_seconds: 0.2,
    });

    const startLogProcess = async (): Promise<LogServer> => {
      const s = await serve(['--data', logDir, '--config', logConfig]);
      running.push(s);
      return s;
    };
    let log = await startLogProcess();
    const submit = async (record: unknown) => {
      const res = await fetch(`${log.url}/ct/v1/add-entry`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(record) });
      expect(res.status).toBe(200);
      return res.json() as Promise<any>;
    };
    const cosignedAt = async (size: number): Promise<string> => {
      for (let i = 0; i < 100; i++) {
        const note = await (await fetch(`${log.url}/checkpoint`)).text();
        if (openCheckpoint(note, parseVerifierKey(logKey)).checkpoint.size === size && note.includes('— witness.example/w1 ')) return note;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no cosigned checkpoint of size ${size} within 10 s`);
    };

    const records = Array.from({ length: 5 }, (_, i) => ({ event_id: `e${i}`, i }));
    const receipts = [];
    for (const r of records) receipts.push(await submit(r));
    const note = await cosignedAt(5);
    // The cosignature verifies with nothing but the witness's verifier key.
    expect(openNote(note, [parseVerifierKey(witnessKey)]).verified.map((s) => s.name)).toEqual(['witness.example/w1']);
    const info = (await (await fetch(`${log.url}/v1/log`)).json()) as any;
    expect(info.witnesses[0]).toMatchObject({ verifier_key: witnessKey, cosigned_size: 5, last_error: null });
    // The witness serves what it cosigned.
    const originHash = createHash('sha256').update('pushed.example/log').digest('hex');
    expect(openCheckpoint(await (await fetch(`${witness.url}/${originHash}/checkpoint`)).text(), parseVerifierKey(logKey)).checkpoint.size).toBe(5);

    // verify-receipt: the receipt's own checkpoint (size 1) has no cosignature; --url fetches the
    // cosigned one and the consistency proof between them.
    const files = join(work.path, 'files');
    await mkdir(files, { recursive: true });
    await writeFile(join(files, 'receipt.json'), JSON.stringify(receipts[0]));
    await writeFile(join(files, 'record.json'), JSON.stringify(records[0]));
    const args = ['verify-receipt', '--vkey', logKey, '--witness', join(witnessDir, 'witness.vkey'), join(files, 'receipt.json'), join(files, 'record.json')];
    const withoutUrl = await run(args);
    expect(withoutUrl.code).toBe(1);
    expect(withoutUrl.stderr).toMatch(/FAIL witness: the receipt's checkpoint carries 0 of the 1 cosignatures required; give --url/);
    const ok = await run([...args, '--url', log.url]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/OK: witnessed by 1 of 1 witnesses \(witness.example\/w1\) on the log's checkpoint of tree size 5, proven consistent/);

    // Restarted, the log no longer knows the witness's size: its first push gets 409 with the size,
    // and the retry from there is cosigned.
    expect(await log.stop()).toBe(0);
    log = await startLogProcess();
    await submit({ event_id: 'after-restart' });
    await cosignedAt(6);
  });
});
