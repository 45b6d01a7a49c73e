/**
 * Overlapping passes (src/log/sequencer.ts): the next pass is prepared while the previous one's batch
 * is written and fsync'd, on a real LevelDB store. What must hold: idempotency keys decided in a pass
 * not yet durable are seen by the pass prepared on top of it; a pass built on one that then fails is
 * not written, and the log goes on from the stored head (also when the failed write landed after
 * all); every index is given out once and the stored tree is the published one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataPaths, initLog, loadKeys, openStore, requireMasterKey } from '../src/cli/datadir.js';
import { RightEdge } from '../src/log/edge.js';
import { prepareRecord } from '../src/log/prepare.js';
import { Sequencer } from '../src/log/sequencer.js';
import type { PreparedRecord, SequencedEntry } from '../src/log/sequencer.js';
import { parseRecord } from '../src/record/index.js';
import type { LevelStore } from '../src/storage/level.js';
import type { LogStore, PassWrite } from '../src/storage/types.js';
import { utf8 } from '../src/util/bytes.js';

let parent: string;
let store: LevelStore;
let sequencer: Sequencer;
/** What the sequencer did against the store, in order: `commit N…M` and `read` (idempotency lookups). */
let events: string[];
let published: number[];

const record = (text: string, key?: string): PreparedRecord => prepareRecord(parseRecord(utf8(text)), key);

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'sealtrail-pipeline-'));
  const dir = join(parent, 'data');
  await initLog(dir, 'pipeline.test.example/log');
  const { signer } = await loadKeys(dir);
  store = await openStore(dataPaths(dir).db, (await requireMasterKey(dir)).key);
  const head = (await store.readHead())!;
  events = [];
  published = [];
  // The real store, watched: each commit is logged when it starts and when it returns.
  const watched = new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'commit') {
        return async (pass: PassWrite) => {
          const range = `${pass.firstIndex}…${pass.firstIndex + pass.leafInputs.length - 1}`;
          events.push(`commit ${range}`);
          try {
            await target.commit(pass);
          } finally {
            events.push(`committed ${range}`);
          }
        };
      }
      if (property === 'readIdempotency') {
        return (keys: Parameters<LogStore['readIdempotency']>[0]) => {
          events.push('read');
          return target.readIdempotency(keys);
        };
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  sequencer = new Sequencer(
    { store: watched, signer, origin: signer.name, now: Date.now, head, edge: await RightEdge.load(0, store), onPublish: (p) => published.push(p.head.size) },
    { maxBatchEntries: 1, maxDelayMs: 0, maxPendingEntries: 1000 },
  );
});

afterEach(async () => {
  await sequencer.close();
  await store.close();
  await rm(parent, { recursive: true, force: true });
});

/**
 * True if the passes overlapped: every pass looks up idempotency keys once, first thing, so two
 * lookups before the first pass's commit returned mean the second pass was prepared meanwhile.
 */
function overlapped(): boolean {
  const durable = events.findIndex((e) => e.startsWith('committed '));
  return durable >= 0 && events.slice(0, durable).filter((e) => e === 'read').length >= 2;
}

describe('overlapping passes', () => {
  it('a key decided by a pass not yet durable is a repeat (or a conflict) in the pass prepared on it', async () => {
    const submissions: Promise<SequencedEntry[] | Error>[] = [];
    const sent: { key: string; text: string }[] = [];
    // One record per pass; each key comes in two passes in a row (so the second is prepared while
    // the first is written), and again later; some with another record.
    for (let i = 0; i < 60; i++) {
      const key = `k${Math.floor(i / 2) % 7}`;
      const text = i % 5 === 4 ? `{"event_id":"other-${i}"}` : `{"event_id":"${key}"}`;
      sent.push({ key, text });
      submissions.push(sequencer.submit('gateway', [record(text, key)]).catch((e: Error) => e));
    }
    const results = await Promise.all(submissions);
    expect(overlapped(), events.join('\n')).toBe(true);

    // Submissions are sequenced in order: the first record sent under a key is logged, the same
    // record again repeats it, and another record under that key is refused.
    const first = new Map<string, { text: string; index: number }>();
    for (const [i, r] of results.entries()) {
      const { key, text } = sent[i]!;
      const logged = first.get(key);
      if (logged !== undefined && logged.text !== text) {
        expect(r, `submission ${i} (${key})`).toBeInstanceOf(Error);
        expect((r as Error).message).toMatch(/already used for a different record/);
        continue;
      }
      expect(r, `submission ${i} (${key})`).not.toBeInstanceOf(Error);
      const index = (r as SequencedEntry[])[0]!.index;
      if (logged === undefined) first.set(key, { text, index });
      else expect(index, `submission ${i} (${key})`).toBe(logged.index);
    }
    const indexOfKey = new Map([...first].map(([k, v]) => [k, v.index]));
    // One entry per key, and the store holds exactly those.
    const size = (await store.readHead())!.size;
    expect(size).toBe(7);
    expect([...indexOfKey.values()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(published.at(-1)).toBe(7);
  });

  for (const landed of [false, true]) {
    it(`a pass prepared on one whose write fails${landed ? ' (but lands)' : ''} is not written; the log goes on from the stored head`, async () => {
      // Let the first pass through, then fail the next batch write once.
      await sequencer.submit('gateway', [record('{"n":0}')]);
      store.injectFault({ code: 'EIO', writes: ['batch'], times: 1, landed });
      const failing = sequencer.submit('gateway', [record('{"n":1}')]).catch((e: Error) => e);
      const onTop = sequencer.submit('gateway', [record('{"n":2}')]).catch((e: Error) => e);
      const [first, second] = await Promise.all([failing, onTop]);
      expect(first).toBeInstanceOf(Error);
      expect(second).toBeInstanceOf(Error);
      expect((second as Error).message).toMatch(/could not store an earlier pass, on which this one was built|could not store this pass/);

      const next = await sequencer.submit('gateway', [record('{"n":3}')]);
      // The failed pass's index is given again unless its write landed, and then it is kept.
      expect(next[0]!.index).toBe(landed ? 2 : 1);
      const head = (await store.readHead())!;
      expect(head.size).toBe(next[0]!.index + 1);
      const edge = await RightEdge.load(head.size, store);
      expect(Buffer.from(edge.root())).toEqual(Buffer.from(head.rootHash));
      expect(published.at(-1)).toBe(head.size);
      // The pass built on the failed one wrote nothing: no entry beyond the head.
      expect(await store.readEntry(head.size)).toBeUndefined();
    });
  }
});
