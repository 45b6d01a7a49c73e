/**
 * The witness in push mode over real HTTP, against a real log's checkpoints and proofs: every
 * C2SP tlog-witness v1.0.0 status (PROTOCOL §7), cosignatures that verify with nothing but the
 * witness's verifier key, atomicity under concurrent requests, fork evidence, restart.
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_ROOT } from '../src/merkle/index.js';
import {
  cosignatureTimestamp,
  generateSignerKey,
  openCheckpoint,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signCheckpoint,
} from '../src/note/index.js';
import { toBase64 } from '../src/util/bytes.js';
import { formatAddCheckpoint } from '../src/witness/request.js';
import { originHash } from '../src/witness/witness.js';
import { http } from './harness.js';
import { readJson, startLogFixture, startWitness } from './witness-process.js';
import type { LogFixture, WitnessFixture } from './witness-process.js';

const body = (oldSize: number, proof: readonly Uint8Array[], note: string): string => formatAddCheckpoint({ oldSize, proof, note });

/** Checks a 200 answer: one cosignature line that verifies over the checkpoint with the witness key alone. */
function expectCosignature(reply: { status: number; text: string; headers: Headers }, note: string, witnessKey: string): number {
  expect(reply.status, reply.text).toBe(200);
  expect(reply.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  expect(reply.text).toMatch(/^\u2014 witness\.example\/w1 [A-Za-z0-9+/]+=*\n$/);
  // tlog-witness: the client "MAY concatenate it to the checkpoint, and use a note verification function".
  const opened = openNote(note + reply.text, [parseVerifierKey(witnessKey)]);
  expect(opened.verified).toHaveLength(1);
  const timestamp = cosignatureTimestamp(opened.verified[0]!.signature)!;
  expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
  return timestamp;
}

describe('add-checkpoint: every status over HTTP', () => {
  let log: LogFixture;
  let other: LogFixture;
  let w: WitnessFixture;
  beforeAll(async () => {
    [log, other] = await Promise.all([startLogFixture(12), startLogFixture(3, 'other.example/log')]);
    w = await startWitness([
      { origin: log.origin, verifier_key: log.verifierKey },
      { origin: other.origin, verifier_key: other.verifierKey },
    ]);
  });
  afterAll(async () => {
    await w.destroy();
    await log.destroy();
    await other.destroy();
  });

  it('200: first contact from old size 0 with an empty proof, then GET the cosigned checkpoint', async () => {
    const note = log.checkpoints[4]!;
    expectCosignature(await w.post(body(0, [], note)), note, w.verifierKey);
    const served = await http(`${w.url}/${originHash(log.origin)}/checkpoint`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    // The log's note with the cosignature appended: both keys verify it.
    expect(openCheckpoint(served.text, parseVerifierKey(log.verifierKey)).checkpoint.size).toBe(4);
    expect(openNote(served.text, [parseVerifierKey(w.verifierKey)]).verified).toHaveLength(1);
    expect((await http(`${w.url}/${originHash(log.origin).toUpperCase()}/checkpoint`)).status).toBe(404);
    expect((await http(`${w.url}/${originHash('nobody')}/checkpoint`)).status).toBe(404);
  });

  it('409: old size other than the latest cosigned, with the latest size as text/x.tlog.size', async () => {
    for (const old of [0, 3, 5]) {
      const reply = await w.post(body(old, old === 0 ? [] : await log.proof(old, 8), log.checkpoints[8]!));
      expect(reply.status).toBe(409);
      expect(reply.headers.get('content-type')).toBe('text/x.tlog.size');
      expect(reply.text).toBe('4\n');
    }
  });

  it('200: a valid consistency proof from the latest cosigned size; the same checkpoint again is 200 with a later-or-equal time', async () => {
    const note = log.checkpoints[8]!;
    const first = expectCosignature(await w.post(body(4, await log.proof(4, 8), note)), note, w.verifierKey);
    const again = expectCosignature(await w.post(body(8, [], note)), note, w.verifierKey);
    expect(again).toBeGreaterThanOrEqual(first);
    expect((await w.witness.latest(log.origin))!.size).toBe(8);
  });

  it('422: a consistency proof that does not verify (bit flipped, hash dropped, hash added) changes nothing', async () => {
    const proof = await log.proof(8, 12);
    const flipped = proof.map((h, i) => (i === 0 ? h.map((b, j) => (j === 0 ? b ^ 1 : b)) : h));
    for (const bad of [flipped, proof.slice(1), [...proof, proof[0]!]]) {
      const reply = await w.post(body(8, bad, log.checkpoints[12]!));
      expect(reply.status, reply.text).toBe(422);
      expect(reply.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(reply.text).toMatch(/consistency proof from size 8 to 12 does not verify/);
    }
    // A proof for other sizes does not prove these either.
    expect((await w.post(body(8, await log.proof(7, 12), log.checkpoints[12]!))).status).toBe(422);
    expect((await w.witness.latest(log.origin))!.size).toBe(8);
    // Garbage from a client is not evidence.
    expect(await w.evidenceFiles()).toEqual([]);
    expect(await w.witness.refusal(log.origin)).toBeUndefined();
  });

  it('422: a non-empty proof with old size 0', async () => {
    const reply = await w.post(body(0, await other.proof(1, 3), other.checkpoints[3]!));
    expect(reply.status).toBe(422);
    expect(reply.text).toMatch(/old size is 0, so the consistency proof must be empty/);
    expect(await w.witness.latest(other.origin)).toBeUndefined();
  });

  it('400: malformed bodies, and an old size above the checkpoint size', async () => {
    const note = log.checkpoints[12]!;
    const proofLine = `${toBase64((await log.proof(8, 12))[0]!)}\n`;
    const bad: [string, RegExp][] = [
      ['', /first line does not end with a newline/],
      [`old 8\n`, /line 2 does not end/],
      [`old 08\n\n${note}`, /not "old <size>"/],
      [`old -1\n\n${note}`, /not "old <size>"/],
      [`old 8 \n\n${note}`, /not "old <size>"/],
      [`Old 8\n\n${note}`, /not "old <size>"/],
      [`old 8\r\n\r\n${note}`, /not "old <size>"/],
      [`old 99999999999999999999\n\n${note}`, /2\^53-1/],
      [`old 8\nnot base64!\n\n${note}`, /proof line 1 is not a 32-byte hash/],
      [`old 8\nAAAA\n\n${note}`, /proof line 1 is not a 32-byte hash/],
      [`old 8\n${proofLine.repeat(64)}\n${note}`, /more than 63 consistency proof lines/],
      [`old 8\n\n`, /no checkpoint after the empty line/],
      [`old 8\n\n${note.replace('\n\n', '\n')}`, /checkpoint note/],
      [`old 8\n\n${note.slice(0, -1)}`, /does not end with a newline/],
      [`old 13\n\n${note}`, /old size 13 is larger than the checkpoint's tree size 12/],
    ];
    for (const [text, message] of bad) {
      const reply = await w.post(text);
      expect(reply.status, `${JSON.stringify(text.slice(0, 30))}: ${reply.text}`).toBe(400);
      expect(reply.text).toMatch(message);
    }
    expect((await w.post(Uint8Array.of(0x6f, 0x6c, 0x64, 0x20, 0x38, 0x0a, 0x0a, 0xff, 0x0a))).text).toMatch(/not valid UTF-8/);
    expect((await w.witness.latest(log.origin))!.size).toBe(8);
  });

  it('403: no valid signature of the log key (another key with the same name, or a forged line)', async () => {
    const impostor = parseSignerKey(generateSignerKey(log.origin, (n) => new Uint8Array(randomBytes(n))).signerKey);
    const forged = signCheckpoint(openCheckpoint(log.checkpoints[12]!, parseVerifierKey(log.verifierKey)).checkpoint, impostor);
    const reply = await w.post(body(8, await log.proof(8, 12), forged));
    expect(reply.status).toBe(403);
    expect(reply.text).toMatch(/no valid signature of the log key/);
    // The log's own line with one bit of its signature flipped.
    const genuine = log.checkpoints[12]!;
    const sig = /\u2014 \S+ (\S+)\n$/.exec(genuine)![1]!;
    const bytes = Buffer.from(sig, 'base64');
    bytes[10]! ^= 1;
    expect((await w.post(body(8, await log.proof(8, 12), genuine.replace(sig, bytes.toString('base64'))))).status).toBe(403);
  });

  it('a checkpoint with extra signature lines from unknown keys is cosigned; the lines are ignored and not kept', async () => {
    const stranger = parseSignerKey(generateSignerKey('stranger.example/w', (n) => new Uint8Array(randomBytes(n))).signerKey);
    const cp = openCheckpoint(log.checkpoints[12]!, parseVerifierKey(log.verifierKey));
    const note = `${log.checkpoints[12]!}\u2014 stranger.example/w ${toBase64(Buffer.concat([stranger.keyId, stranger.sign(new TextEncoder().encode(cp.text))]))}\n`;
    expectCosignature(await w.post(body(8, await log.proof(8, 12), note)), note, w.verifierKey);
    const served = await http(`${w.url}/${originHash(log.origin)}/checkpoint`);
    expect(served.text).not.toMatch(/stranger/);
    expect(served.text.startsWith(log.checkpoints[12]!)).toBe(true);
  });

  it('404: an origin that is not configured', async () => {
    const unknown = parseSignerKey(generateSignerKey('unknown.example/log', (n) => new Uint8Array(randomBytes(n))).signerKey);
    const note = signCheckpoint({ origin: 'unknown.example/log', size: 0, rootHash: EMPTY_ROOT, extensions: [] }, unknown);
    const reply = await w.post(body(0, [], note));
    expect(reply.status).toBe(404);
    expect(reply.text).toMatch(/not a log this witness cosigns/);
  });

  it('413: a body over the limit (64 KiB by default)', async () => {
    const reply = await w.post(`old 12\n\n${log.checkpoints[12]!}`.padEnd(65 * 1024, 'x'));
    expect(reply.status).toBe(413);
  });

  it('other methods and paths', async () => {
    expect((await http(`${w.url}/add-checkpoint`)).status).toBe(405);
    expect((await http(`${w.url}/healthz`)).text).toBe('ok\n');
    expect((await http(`${w.url}/nothing`)).status).toBe(404);
  });
});

describe('fork evidence in push mode: two signed checkpoints of one size with different roots', () => {
  let log: LogFixture;
  let w: WitnessFixture;
  beforeAll(async () => {
    log = await startLogFixture(6);
    w = await startWitness([{ origin: log.origin, verifier_key: log.verifierKey }]);
  });
  afterAll(async () => {
    await w.destroy();
    await log.destroy();
  });

  it('422 with the evidence file named, an error-level log line, and the log refused until cleared', async () => {
    expect((await w.post(body(0, [], log.checkpoints[6]!))).status).toBe(200);
    const other = signCheckpoint({ origin: log.origin, size: 6, rootHash: new Uint8Array(randomBytes(32)), extensions: [] }, log.signer);
    const reply = await w.post(body(6, [], other));
    expect(reply.status).toBe(422);
    const files = await w.evidenceFiles();
    expect(files).toHaveLength(1);
    expect(reply.text).toContain(files[0]!);
    expect((await stat(files[0]!)).size).toBeGreaterThan(0);

    const evidence = await readJson(files[0]!);
    expect(evidence).toMatchObject({
      type: 'sealtrail.fork-evidence/v1',
      origin: log.origin,
      detected_by: 'push',
      witness: w.verifierKey,
      log_verifier_key: log.verifierKey,
      cosigned: { tree_size: 6, checkpoint: log.checkpoints[6] },
      conflicting: { tree_size: 6, checkpoint: other },
      proofs: [{ first: 6, second: 6, from: 'client', consistency: [] }],
    });
    expect(Date.parse(evidence.time)).toBeGreaterThan(Date.now() - 60_000);
    // Both checkpoints verify with the log key alone, and they differ: anyone can check the evidence.
    const vkey = parseVerifierKey(evidence.log_verifier_key);
    const a = openCheckpoint(evidence.cosigned.checkpoint, vkey).checkpoint;
    const b = openCheckpoint(evidence.conflicting.checkpoint, vkey).checkpoint;
    expect(a.size).toBe(b.size);
    expect(toBase64(a.rootHash)).not.toBe(toBase64(b.rootHash));
    expect(w.logged.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(w.logged[0]!.fields['evidence']).toBe(files[0]);

    // Refused: even the genuine next checkpoint, until an operator clears it.
    await log.grow(2);
    const refused = await w.post(body(6, await log.proof(6, 8), log.checkpoints[8]!));
    expect(refused.status).toBe(422);
    expect(refused.text).toMatch(/refuses .* fork evidence was recorded in/);
    expect(refused.text).toContain(files[0]!);
    expect((await w.witness.latest(log.origin))!.size).toBe(6);

    // `clear` (the store operation behind `sealtrail witness clear`) lifts the refusal.
    await w.store.clear(log.origin, false);
    expect((await w.post(body(6, await log.proof(6, 8), log.checkpoints[8]!))).status).toBe(200);
    expect(await w.evidenceFiles()).toHaveLength(1);
  });
});

describe('atomicity and durability', () => {
  let log: LogFixture;
  let w: WitnessFixture;
  beforeAll(async () => {
    log = await startLogFixture(30);
    w = await startWitness([{ origin: log.origin, verifier_key: log.verifierKey }]);
  });
  afterAll(async () => {
    await w.destroy();
    await log.destroy();
  });

  it('concurrent add-checkpoint from the same old size: exactly one 200, the rest 409', async () => {
    expect((await w.post(body(0, [], log.checkpoints[10]!))).status).toBe(200);
    const bodies = await Promise.all(Array.from({ length: 12 }, async (_, i) => body(10, await log.proof(10, 11 + i), log.checkpoints[11 + i]!)));
    const replies = await Promise.all(bodies.map((b) => w.post(b)));
    const ok = replies.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409)).toHaveLength(11);
    const winner = (await w.witness.latest(log.origin))!.size;
    for (const r of replies.filter((r) => r.status === 409)) expect(r.text).toBe(`${winner}\n`);
    // The winner's cosignature is for the state that was stored.
    const index = replies.findIndex((r) => r.status === 200);
    expect(winner).toBe(11 + index);
  });

  it('the state survives a restart and never goes backwards; timestamps never go backwards either', async () => {
    const before = (await w.witness.latest(log.origin))!;
    let clock = Date.now() + 3_600_000; // an hour ahead, then the clock goes back
    const ahead = await startWitness([{ origin: log.origin, verifier_key: log.verifierKey }], { dir: (await w.stop(), w.dir), now: () => clock });
    expect(await ahead.witness.latest(log.origin)).toEqual(before);
    const t1 = expectCosignatureAt(await ahead.post(body(before.size, await log.proof(before.size, 25), log.checkpoints[25]!)), log.checkpoints[25]!, ahead.verifierKey);
    expect(t1).toBe(Math.floor(clock / 1000));
    clock = Date.now();
    await ahead.stop();

    w = await startWitness([{ origin: log.origin, verifier_key: log.verifierKey }], { dir: w.dir, now: () => clock });
    expect((await w.witness.latest(log.origin))!.size).toBe(25);
    for (const old of [0, before.size, 24]) {
      const reply = await w.post(body(old, old === 0 ? [] : await log.proof(old, 30), log.checkpoints[30]!));
      expect(reply.status).toBe(409);
      expect(reply.text).toBe('25\n');
    }
    const t2 = expectCosignatureAt(await w.post(body(25, await log.proof(25, 30), log.checkpoints[30]!)), log.checkpoints[30]!, w.verifierKey);
    expect(t2).toBe(t1);
  });
});

/** Like expectCosignature, for a witness whose clock is not the real one. */
function expectCosignatureAt(reply: { status: number; text: string }, note: string, witnessKey: string): number {
  expect(reply.status, reply.text).toBe(200);
  const opened = openNote(note + reply.text, [parseVerifierKey(witnessKey)]);
  return cosignatureTimestamp(opened.verified[0]!.signature)!;
}
