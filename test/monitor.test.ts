/**
 * `sealtrail tail --vkey`: checkpoints monitored as they stream (src/client/monitor.ts). Against a
 * real log every checkpoint verifies and extends the one before; against a log that shows two
 * histories (two real copies of one store, signed with the same key, grown apart) or a checkpoint
 * it did not sign, tail raises an ALERT and exits 3.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointMonitor, MonitorAlert } from '../src/client/monitor.js';
import { openCheckpoint, parseVerifierKey } from '../src/note/index.js';
import { toBase64 } from '../src/util/bytes.js';
import { auditRecord, postRecord, startLog, tempDir } from './harness.js';
import type { TestLog } from './harness.js';
import { BIN } from './process.js';
import { forkLog, startLogFixture } from './witness-process.js';
import type { LogFixture } from './witness-process.js';

/** The claims a stream event makes for a checkpoint note: what the note itself says. */
function claimsOf(note: string, vkey: string): { treeSize: number; rootHash: string } {
  const { checkpoint } = openCheckpoint(note, parseVerifierKey(vkey));
  return { treeSize: checkpoint.size, rootHash: toBase64(checkpoint.rootHash) };
}

/** A log that streams the checkpoint events it is given and answers consistency from `proofs`. */
async function hostileLog(events: readonly { note: string; claims: { treeSize: number; rootHash: string } }[], proofsFrom: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/v1/stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of events) {
        const data = { tree_size: e.claims.treeSize, timestamp: 0, root_hash: e.claims.rootHash, checkpoint: e.note };
        res.write(`id: ${e.claims.treeSize}\nevent: checkpoint\ndata: ${JSON.stringify(data)}\n\n`);
      }
      return; // left open, like a live stream
    }
    void fetch(`${proofsFrom}${req.url}`).then(async (r) => {
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(await r.text());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function tail(args: string[]): { exited: Promise<number | null>; stdout(): string; stderr(): string; kill(): void } {
  const child = spawn(process.execPath, [BIN, 'tail', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { exited: new Promise((r) => child.on('exit', (code) => r(code))), stdout: () => stdout, stderr: () => stderr, kill: () => child.kill('SIGTERM') };
}

async function until(what: () => boolean, describe: () => string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (what()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(describe());
}

describe('CheckpointMonitor and tail --vkey on two histories', () => {
  let a: LogFixture;
  let b: LogFixture;
  let other: TestLog;
  let copy: { path: string; remove(): Promise<void> };
  beforeAll(async () => {
    const original = await startLogFixture(3);
    copy = await tempDir('sealtrail-monitor-fork-');
    [a, b] = await forkLog(original, join(copy.path, 'b'));
    // Same key, same first 3 entries; then each copy appends its own (salted, so different) entries.
    await a.grow(2);
    await b.grow(3);
    other = await startLog({ origin: a.origin, principals: { alice: 'submitter' } });
    await postRecord(other, auditRecord(0));
  });
  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy(), other?.destroy()]);
    await copy?.remove();
  });

  it('verifies a history that extends itself, fetching each consistency proof from the log', async () => {
    const monitor = new CheckpointMonitor(a.log.url, parseVerifierKey(a.verifierKey));
    for (const size of [0, 1, 3, 3, 5]) {
      const outcome = await monitor.check(a.checkpoints[size]!, claimsOf(a.checkpoints[size]!, a.verifierKey));
      expect(outcome.kind).toBe('verified');
    }
    expect(monitor.verified?.size).toBe(5);
  });

  it('alerts on a checkpoint of the other history, on going back, on a wrong claim and on another key', async () => {
    const key = parseVerifierKey(a.verifierKey);
    const fresh = async (size: number): Promise<CheckpointMonitor> => {
      const m = new CheckpointMonitor(b.log.url, key);
      await m.check(a.checkpoints[size]!, claimsOf(a.checkpoints[size]!, a.verifierKey));
      return m;
    };
    // A's 4 and then B's 6: B's proof from 4 to 6 does not start from A's root at 4.
    await expect((await fresh(4)).check(b.checkpoints[6]!, claimsOf(b.checkpoints[6]!, b.verifierKey))).rejects.toThrow(
      /the checkpoint of tree size 6 does not extend the one of size 4/,
    );
    // Two roots for one size.
    await expect((await fresh(5)).check(b.checkpoints[5]!, claimsOf(b.checkpoints[5]!, b.verifierKey))).rejects.toThrow(
      /two signed checkpoints of tree size 5 with different roots/,
    );
    await expect((await fresh(5)).check(a.checkpoints[4]!, claimsOf(a.checkpoints[4]!, a.verifierKey))).rejects.toThrow(/went back from tree size 5 to 4/);
    await expect((await fresh(5)).check(a.checkpoints[5]!, { ...claimsOf(a.checkpoints[5]!, a.verifierKey), treeSize: 6 })).rejects.toThrow(
      /the event says tree_size 6 .* its signed checkpoint says 5/,
    );
    // Same origin, another key: a checkpoint the log never signed.
    const forged = other.log.head.checkpoint;
    await expect((await fresh(1)).check(forged, { treeSize: 1, rootHash: toBase64(other.log.head.rootHash) })).rejects.toBeInstanceOf(MonitorAlert);
  });

  it('a proof the log cannot give now is no alert: the next checkpoint is checked from the last verified one', async () => {
    const monitor = new CheckpointMonitor('http://127.0.0.1:9', parseVerifierKey(a.verifierKey), 2000);
    await monitor.check(a.checkpoints[3]!, claimsOf(a.checkpoints[3]!, a.verifierKey));
    const outcome = await monitor.check(a.checkpoints[5]!, claimsOf(a.checkpoints[5]!, a.verifierKey));
    expect(outcome.kind).toBe('unchecked');
    expect(monitor.verified?.size).toBe(3);
  });

  it('tail --vkey prints ALERT and exits 3 when the stream shows the other history', async () => {
    const events = [a.checkpoints[4]!, b.checkpoints[6]!].map((note) => ({ note, claims: claimsOf(note, a.verifierKey) }));
    const hostile = await hostileLog(events, b.log.url);
    try {
      const t = tail(['--url', hostile.url, '--vkey', a.verifierKey]);
      const code = await Promise.race([t.exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 20_000))]);
      if (code === 'timeout') t.kill();
      expect(code, t.stderr()).toBe(3);
      expect(t.stderr()).toMatch(/ALERT: the checkpoint of tree size 6 does not extend the one of size 4/);
      // The checkpoint that failed is never printed as if it were good.
      expect(t.stdout()).toMatch(/tree_size=4/);
      expect(t.stdout()).not.toMatch(/tree_size=6/);
    } finally {
      await hostile.close();
    }
  });
});

describe('tail --vkey on an honest log', () => {
  let t: TestLog;
  beforeAll(async () => {
    t = await startLog({ principals: { alice: 'submitter' } });
  });
  afterAll(() => t.destroy());

  it('verifies each checkpoint as records arrive and exits 0 on SIGTERM', async () => {
    const vkeyFile = join(t.dir, 'log.vkey');
    const child = tail(['--url', t.url, '--vkey', vkeyFile]);
    try {
      await until(() => child.stdout().includes('tree_size=0'), () => `tail printed ${child.stdout()} / ${child.stderr()}`);
      for (let i = 0; i < 4; i++) expect((await postRecord(t, auditRecord(i))).status).toBe(200);
      await until(() => child.stdout().includes('tree_size=4'), () => `tail printed ${child.stdout()} / ${child.stderr()}`);
    } finally {
      child.kill();
    }
    expect(await child.exited).toBe(0);
    expect(child.stderr()).not.toMatch(/ALERT|could not check/);
    expect(child.stdout().match(/^checkpoint /gm)?.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a --vkey that is not a verifier key (exit 2)', async () => {
    const child = tail(['--url', t.url, '--vkey', 'not-a-key']);
    expect(await child.exited).toBe(2);
    expect(child.stderr()).toMatch(/--vkey: /);
  });
});
