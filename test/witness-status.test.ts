/**
 * Every C2SP tlog-witness status code (PROTOCOL §7), over HTTP, from a real witness process about
 * a real log process: the checkpoints and proofs come from the log itself.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSignerKey, openNote, parseSignerKey, parseVerifierKey, signCheckpoint } from '../src/note/index.js';
import { toBase64 } from '../src/util/bytes.js';
import { tempDir } from './harness.js';
import { serve } from './process.js';
import type { Server } from './process.js';
import { witnessRun, witnessServe, writeConfig } from './witness-process.js';

describe('tlog-witness status codes from a witness process', () => {
  let work: { path: string; remove(): Promise<void> };
  const running: Server[] = [];
  let log: Server;
  let witness: Server;
  let token: string;
  let logKey: string;
  let witnessKey: string;
  const checkpoints = new Map<number, string>();

  beforeAll(async () => {
    work = await tempDir();
    log = await serve(['--data', join(work.path, 'log')]);
    running.push(log);
    token = /(st_[A-Za-z0-9_-]{43})/.exec(log.banner)![1]!;
    logKey = /verifier key: (\S+)/.exec(log.banner)![1]!;
    const witnessDir = join(work.path, 'w');
    expect((await witnessRun(['init', '--data', witnessDir, '--name', 'status.example/w'])).code).toBe(0);
    witnessKey = (await readFile(join(witnessDir, 'witness.vkey'), 'utf8')).trim();
    const config = await writeConfig(join(work.path, 'w.json'), { logs: [{ origin: parseVerifierKey(logKey).name, verifier_key: logKey }] });
    witness = await witnessServe(['--data', witnessDir, '--config', config]);
    running.push(witness);
    for (const size of [1, 2, 3, 4, 5, 6]) {
      const res = await fetch(`${log.url}/ct/v1/add-entry`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ size }) });
      checkpoints.set(size, ((await res.json()) as { checkpoint: string }).checkpoint);
    }
  });
  afterAll(async () => {
    for (const s of running) await s.stop('SIGKILL');
    await work.remove();
  });

  const proof = async (first: number, second: number): Promise<string[]> =>
    ((await (await fetch(`${log.url}/ct/v1/get-sth-consistency?first=${first}&second=${second}`)).json()) as { consistency: string[] }).consistency;
  const post = async (body: string) => {
    const res = await fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const request = (old: number, hashes: string[], note: string): string => `old ${old}\n${hashes.map((h) => `${h}\n`).join('')}\n${note}`;

  it('422: a non-empty proof from old 0 (first contact, so no 409 comes first)', async () => {
    expect((await post(request(0, await proof(2, 4), checkpoints.get(4)!))).status).toBe(422);
  });

  it('200: cosigns a first checkpoint from old 0, with a line that verifies with only the witness key', async () => {
    const reply = await post(request(0, [], checkpoints.get(2)!));
    expect(reply.status).toBe(200);
    expect(openNote(`${checkpoints.get(2)!}${reply.text}`, [parseVerifierKey(witnessKey)]).verified).toHaveLength(1);
  });

  it('200: cosigns a larger checkpoint with a valid consistency proof', async () => {
    expect((await post(request(2, await proof(2, 4), checkpoints.get(4)!))).status).toBe(200);
  });

  it('409: an old size other than the latest, with the latest size as a text/x.tlog.size body', async () => {
    const reply = await post(request(2, await proof(2, 5), checkpoints.get(5)!));
    expect(reply).toMatchObject({ status: 409, text: '4\n' });
    expect(reply.type).toMatch(/^text\/x\.tlog\.size/);
  });

  it('400: a malformed body, and an old size above the checkpoint size', async () => {
    expect((await post('not a request')).status).toBe(400);
    expect((await post(request(9, [], checkpoints.get(5)!))).status).toBe(400);
  });

  it('403: a checkpoint without a valid signature of the log', async () => {
    const origin = parseVerifierKey(logKey).name;
    const impostor = parseSignerKey(generateSignerKey(origin, () => new Uint8Array(32).fill(42)).signerKey);
    const forged = signCheckpoint({ origin, size: 5, rootHash: new Uint8Array(32), extensions: [] }, impostor);
    expect((await post(request(4, await proof(4, 5), forged))).status).toBe(403);
  });

  it('404: a log the witness does not know', async () => {
    const stranger = parseSignerKey(generateSignerKey('stranger.example/log', () => new Uint8Array(32).fill(7)).signerKey);
    const note = signCheckpoint({ origin: 'stranger.example/log', size: 1, rootHash: new Uint8Array(32), extensions: [] }, stranger);
    expect((await post(request(0, [], note))).status).toBe(404);
  });

  it('413: a body over the limit', async () => {
    expect((await post(`old 4\n${'A'.repeat(70_000)}`)).status).toBe(413);
  });

  it('422: a consistency proof that fails', async () => {
    const hashes = await proof(4, 6);
    const bad = [toBase64(new Uint8Array(32).fill(1)), ...hashes.slice(1)];
    expect((await post(request(4, bad, checkpoints.get(6)!))).status).toBe(422);
    // Neither this nor the old-0 proof above was evidence: the witness still cosigns the honest checkpoint.
    expect((await post(request(4, hashes, checkpoints.get(6)!))).status).toBe(200);
  });
});
