/**
 * Poll mode in-process, over real HTTP against real logs: rounds that cosign a growing log, what
 * counts as unavailability (retried, never evidence) and what is proof of a fork (a forked copy of
 * the log with the same key: same size with another root, or a larger tree the log cannot prove).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint, openNote, parseVerifierKey } from '../src/note/index.js';
import { Watcher } from '../src/witness/watch.js';
import { http, tempDir } from './harness.js';
import { forkLog, readJson, startLogFixture, startWitness } from './witness-process.js';
import type { LogFixture, WitnessFixture } from './witness-process.js';
import { originHash } from '../src/witness/witness.js';

const fast = { attempts: 3, retryDelayMs: 20, timeoutMs: 2000 };

describe('poll mode', () => {
  let log: LogFixture;
  let w: WitnessFixture;
  beforeAll(async () => {
    log = await startLogFixture(3);
    w = await startWitness([{ origin: log.origin, verifier_key: log.verifierKey, url: log.log.url }]);
  });
  afterAll(async () => {
    await w.destroy();
    await log.destroy();
  });

  it('cosigns a growing log round after round, each time proven consistent with the last', async () => {
    const watcher = new Watcher(w.witness, fast);
    const sizes: number[] = [];
    for (const growth of [0, 4, 1, 0, 9]) {
      await log.grow(growth);
      const [outcome] = await watcher.round();
      expect(outcome!.status).toBe('cosigned');
      if (outcome?.status === 'cosigned') sizes.push(outcome.size);
    }
    expect(sizes).toEqual([3, 7, 8, 8, 17]);
    // What the witness serves verifies with the log key and with the witness key.
    const served = await http(`${w.url}/${originHash(log.origin)}/checkpoint`);
    expect(openCheckpoint(served.text, parseVerifierKey(log.verifierKey)).checkpoint.size).toBe(17);
    expect(openNote(served.text, [parseVerifierKey(w.verifierKey)]).verified).toHaveLength(1);
    expect(await w.evidenceFiles()).toEqual([]);
  });

  it('a log that cannot be reached is retried, reported, and is not evidence', async () => {
    const down = await startWitness([{ origin: log.origin, verifier_key: log.verifierKey, url: 'http://127.0.0.1:9' }]);
    try {
      const started = Date.now();
      const [outcome] = await new Watcher(down.witness, fast).round();
      expect(outcome).toMatchObject({ status: 'unavailable', error: expect.stringMatching(/ECONNREFUSED|failed/) });
      expect(Date.now() - started).toBeGreaterThanOrEqual(20 + 40);
      expect(await down.evidenceFiles()).toEqual([]);
    } finally {
      await down.destroy();
    }
  });

  it('a checkpoint not signed by the configured key is refused, not evidence', async () => {
    const other = await startLogFixture(1, log.origin);
    const wrong = await startWitness([{ origin: log.origin, verifier_key: log.verifierKey, url: other.log.url }]);
    try {
      const [outcome] = await new Watcher(wrong.witness, fast).round();
      expect(outcome).toMatchObject({ status: 'unavailable', error: expect.stringMatching(/no valid signature of the log key/) });
      expect(await wrong.evidenceFiles()).toEqual([]);
    } finally {
      await wrong.destroy();
      await other.destroy();
    }
  });
});

describe('poll mode against a forked log (two stores, one key)', () => {
  let dirs: { path: string; remove(): Promise<void> };
  let original: LogFixture;
  let a: LogFixture;
  let b: LogFixture;
  beforeAll(async () => {
    dirs = await tempDir();
    original = await startLogFixture(5, 'forked.example/log');
    [a, b] = await forkLog(original, join(dirs.path, 'copy'));
    await a.grow(3); // a: 8 entries
    await b.grow(2); // b: the same 5, then 2 others
  });
  afterAll(async () => {
    await a.destroy();
    await b.destroy();
    await dirs.remove();
  });

  const watch = (fixture: LogFixture, dir?: string) =>
    startWitness([{ origin: fixture.origin, verifier_key: fixture.verifierKey, url: fixture.log.url }], dir ? { dir } : {});

  it('a larger tree the log cannot prove consistent, on every attempt: evidence with both checkpoints, then refused', async () => {
    let w = await watch(a);
    expect((await new Watcher(w.witness, fast).round())[0]).toMatchObject({ status: 'cosigned', size: 8 });
    await w.stop();

    await b.grow(4); // b: 11 entries, diverged at 5
    w = await watch(b, w.dir);
    try {
      const [outcome] = await new Watcher(w.witness, fast).round();
      expect(outcome!.status).toBe('fork');
      const files = await w.evidenceFiles();
      expect(files).toHaveLength(1);
      const evidence = await readJson(files[0]!);
      expect(evidence).toMatchObject({
        type: 'sealtrail.fork-evidence/v1',
        origin: a.origin,
        detected_by: 'poll',
        cosigned: { tree_size: 8, checkpoint: a.checkpoints[8] },
        conflicting: { tree_size: 11, checkpoint: b.checkpoints[11] },
      });
      expect(evidence.proofs).toHaveLength(3);
      for (const proof of evidence.proofs) expect(proof).toMatchObject({ first: 8, second: 11, from: 'log', outcome: expect.stringMatching(/does not verify/) });
      expect(evidence.reason).toMatch(/no valid consistency proof from the cosigned tree size 8/);
      expect(w.logged.filter((l) => l.level === 'error')).toHaveLength(1);

      // Refused from now on, whatever the log serves, until cleared.
      expect((await new Watcher(w.witness, fast).round())[0]).toMatchObject({ status: 'refused', evidenceFile: files[0] });
      // Cleared without reset: still measured against the cosigned tree of a, so evidence again.
      await w.store.clear(a.origin, false);
      expect((await new Watcher(w.witness, fast).round())[0]!.status).toBe('fork');
      expect(await w.evidenceFiles()).toHaveLength(2);
      // Cleared with reset: b is accepted afresh.
      await w.store.clear(a.origin, true);
      expect((await new Watcher(w.witness, fast).round())[0]).toMatchObject({ status: 'cosigned', size: 11, previousSize: 0 });
    } finally {
      await w.destroy();
    }
  });

  it('the same size with another root is evidence at once', async () => {
    const w = await watch(a);
    try {
      await a.grow(11 - a.checkpoints.length + 1); // a: 11 entries too
      expect((await new Watcher(w.witness, fast).round())[0]).toMatchObject({ status: 'cosigned', size: 11 });
      await w.stop();
      const wb = await watch(b, w.dir);
      try {
        const [outcome] = await new Watcher(wb.witness, fast).round();
        expect(outcome!.status).toBe('fork');
        const evidence = await readJson((await wb.evidenceFiles())[0]!);
        expect(evidence.cosigned.checkpoint).toBe(a.checkpoints[11]);
        expect(evidence.conflicting.checkpoint).toBe(b.checkpoints[11]);
        expect(evidence.reason).toMatch(/two checkpoints of tree size 11/);
      } finally {
        await wb.destroy();
      }
    } finally {
      await w.destroy();
    }
  });

  it('a smaller tree (a rollback or a stale replica) is reported, not evidence', async () => {
    const w = await watch(a);
    try {
      await a.grow(2); // a: 13
      expect((await new Watcher(w.witness, fast).round())[0]).toMatchObject({ status: 'cosigned', size: 13 });
      await w.stop();
      const wb = await watch(b, w.dir); // b: 11
      try {
        expect((await new Watcher(wb.witness, fast).round())[0]).toMatchObject({ status: 'unavailable', error: expect.stringMatching(/smaller than the cosigned 13/) });
        expect(await wb.evidenceFiles()).toEqual([]);
      } finally {
        await wb.destroy();
      }
    } finally {
      await w.destroy();
    }
  });
});
