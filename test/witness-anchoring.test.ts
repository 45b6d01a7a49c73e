/**
 * Anchoring into a second log, with real processes: a witness polls log A, cosigns, and anchors
 * the cosigned checkpoint into log B; the receipt B returned verifies offline with B's key.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../src/client/receipt.js';
import { openCheckpoint, openNote, parseVerifierKey } from '../src/note/index.js';
import { utf8 } from '../src/util/bytes.js';
import { tempDir } from './harness.js';
import { serve } from './process.js';
import type { Server } from './process.js';
import { witnessRun, writeConfig } from './witness-process.js';

describe('anchoring a witnessed checkpoint into a second sealtrail log', () => {
  let work: { path: string; remove(): Promise<void> };
  const running: Server[] = [];
  beforeAll(async () => {
    work = await tempDir();
  });
  afterAll(async () => {
    for (const s of running) await s.stop('SIGKILL');
    await work.remove();
  });

  it('yields a receipt from the second log that verifies, for each anchor', async () => {
    const a = await serve(['--data', join(work.path, 'a')]);
    const b = await serve(['--data', join(work.path, 'b')]);
    running.push(a, b);
    const tokenA = /(st_[A-Za-z0-9_-]{43})/.exec(a.banner)![1]!;
    const tokenB = /(st_[A-Za-z0-9_-]{43})/.exec(b.banner)![1]!;
    const keyA = /verifier key: (\S+)/.exec(a.banner)![1]!;
    const keyB = /verifier key: (\S+)/.exec(b.banner)![1]!;
    const witnessDir = join(work.path, 'w');
    expect((await witnessRun(['init', '--data', witnessDir, '--name', 'anchoring.example/w'])).code).toBe(0);
    const witnessKey = (await readFile(join(witnessDir, 'witness.vkey'), 'utf8')).trim();
    const config = await writeConfig(join(work.path, 'w.json'), {
      logs: [{ origin: parseVerifierKey(keyA).name, verifier_key: keyA, url: a.url }],
      anchors: [{ type: 'log', url: b.url, token: tokenB, verifier_key: keyB }],
      anchor_every_entries: 1,
    });

    for (const round of [3, 4]) {
      const batch = Array.from({ length: round }, (_, i) => ({ round, i }));
      const res = await fetch(`${a.url}/ct/v1/add-entries`, { method: 'POST', headers: { authorization: `Bearer ${tokenA}` }, body: JSON.stringify(batch) });
      expect(res.status).toBe(200);
      const watch = await witnessRun(['watch', '--once', '--data', witnessDir, '--config', config]);
      expect(watch.code, watch.stdout + watch.stderr).toBe(0);
    }

    const listed = await witnessRun(['anchors', '--data', witnessDir, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const { anchors } = JSON.parse(listed.stdout) as { anchors: any[] };
    expect(anchors.map((x) => x.tree_size)).toEqual([3, 7]);
    for (const anchor of anchors) {
      expect(anchor.record).toMatchObject({ type: 'sealtrail.anchor/v1', origin: parseVerifierKey(keyA).name, tree_size: anchor.tree_size, witness: witnessKey });
      // The anchored checkpoint is log A's, cosigned by the witness.
      expect(openCheckpoint(anchor.record.checkpoint, parseVerifierKey(keyA)).checkpoint.size).toBe(anchor.tree_size);
      expect(openNote(anchor.record.checkpoint, [parseVerifierKey(witnessKey)]).verified).toHaveLength(1);
      const [delivery] = anchor.deliveries;
      expect(delivery).toMatchObject({ type: 'log', state: 'delivered' });
      // Log B's receipt proves the anchor record is in B, offline, with only B's key.
      const verified = verifyReceipt(delivery.receipt, utf8(JSON.stringify(anchor.record)), keyB);
      expect(verified.origin).toBe(parseVerifierKey(keyB).name);
    }
    // And B holds exactly those two entries: retries never logged twice.
    expect(((await (await fetch(`${b.url}/ct/v1/get-sth`)).json()) as any).tree_size).toBe(2);
  });
});
