/**
 * Entry bundles (src/storage/bundles.ts) on a real LevelDB store: leaf_inputs written by passes that
 * start and end anywhere within a bundle read back exactly, one by one, by range and as tlog-tiles
 * bundles; and a store of layout 1 (one key per leaf_input) is migrated when opened, also when a
 * migration was cut short, and refused if an entry is missing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initLog, openLog } from '../src/cli/datadir.js';
import { prepareRecord } from '../src/log/prepare.js';
import { decodeDcbor, encodeDcbor } from '../src/record/cbor.js';
import type { Dcbor } from '../src/record/cbor.js';
import { parseRecord } from '../src/record/index.js';
import { BUNDLE_WIDTH, appendToBundle, bundleEntry, bundlePrefix, splitBundle } from '../src/storage/bundles.js';
import { ENTRY_RANGE, LOG_META_KEY, bundleKey, entryKey } from '../src/storage/keys.js';
import { utf8 } from '../src/util/bytes.js';
import { withRawDb } from './harness.js';
import type { RawDb } from './harness.js';

describe('entry bundle values', () => {
  const leaves = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: BUNDLE_WIDTH });

  it('built a pass at a time they equal the bundle built at once, and split back into the leaves', () => {
    fc.assert(
      fc.property(leaves, fc.array(fc.nat(), { maxLength: 6 }), (all, cuts) => {
        const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
        let bundle: Uint8Array | undefined;
        let from = 0;
        for (const to of [...points, all.length]) {
          bundle = appendToBundle(bundle, all, from, to);
          from = to;
        }
        const whole = appendToBundle(undefined, all, 0, all.length);
        expect(Buffer.from(bundle!)).toEqual(whole);
        expect(splitBundle(whole, 0).map((l) => Buffer.from(l))).toEqual(all.map((l) => Buffer.from(l)));
        for (let w = 0; w <= all.length; w++) expect(Buffer.from(bundlePrefix(whole, 0, w)!)).toEqual(appendToBundle(undefined, all, 0, w));
        expect(bundlePrefix(whole, 0, all.length + 1)).toBeUndefined();
        all.forEach((leaf, i) => expect(Buffer.from(bundleEntry(whole, 0, i)!)).toEqual(Buffer.from(leaf)));
        expect(bundleEntry(whole, 0, all.length)).toBeUndefined();
      }),
    );
  });

  it('a cut or overlong bundle is refused as damage, naming it', () => {
    const whole = appendToBundle(undefined, [utf8('abc'), utf8('de')], 0, 2);
    expect(() => splitBundle(whole.subarray(0, whole.length - 1), 7)).toThrow('store is damaged: entry bundle 7 is malformed');
    expect(() => splitBundle(whole.subarray(0, 1), 7)).toThrow('store is damaged: entry bundle 7 is malformed');
    const tooMany = appendToBundle(undefined, Array.from({ length: BUNDLE_WIDTH + 1 }, () => utf8('x')), 0, BUNDLE_WIDTH + 1);
    expect(() => splitBundle(tooMany, 3)).toThrow('store is damaged: entry bundle 3 is malformed');
  });
});

describe('entry bundles in the store', () => {
  let parent: string;
  let dir: string;
  /** Every leaf_input the log handed out in its receipts, by index. */
  const leafInputs: Uint8Array[] = [];
  // Passes that start mid-bundle, fill one exactly, span two, and end mid-bundle.
  const passes = [1, 200, 55, 300, 256, 3];
  const total = passes.reduce((a, b) => a + b, 0);

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'sealtrail-bundles-'));
    dir = join(parent, 'data');
    await initLog(dir, 'bundles.test.example/log');
    const fields = parseRecord(utf8('{"event_id":"e","model":"m","tokens":1}'));
    const { log } = await openLog(dir);
    try {
      for (const n of passes) {
        const receipts = await log.submit('gateway', Array.from({ length: n }, () => prepareRecord(fields, undefined)), { batch: true });
        for (const r of receipts) leafInputs[r.leaf_index] = Buffer.from(r.leaf_input, 'base64');
      }
    } finally {
      await log.close();
    }
  }, 60_000);

  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  const withDb = (f: (db: RawDb) => Promise<void>): Promise<void> => withRawDb(dir, f);

  async function expectLogReads(): Promise<void> {
    const { log, store } = await openLog(dir);
    try {
      expect(log.head.size).toBe(total);
      for (const i of [0, 1, 255, 256, 511, 512, total - 1]) expect(Buffer.from((await store.readEntry(i))!)).toEqual(Buffer.from(leafInputs[i]!));
      expect(await store.readEntry(total)).toBeUndefined();
      for (const [start, count] of [[0, total], [1, 1], [250, 10], [255, 258], [600, 500], [total - 2, 5], [total, 3]] as const) {
        const read = await store.readEntries(start, count);
        expect(read.map((l) => Buffer.from(l))).toEqual(leafInputs.slice(start, start + count).map((l) => Buffer.from(l)));
      }
      for (let n = 0; n * BUNDLE_WIDTH < total; n++) {
        const width = Math.min(BUNDLE_WIDTH, total - n * BUNDLE_WIDTH);
        const expected = appendToBundle(undefined, leafInputs.slice(n * BUNDLE_WIDTH), 0, width);
        expect(Buffer.from((await log.entryBundle(n, width))!)).toEqual(expected);
        if (width < BUNDLE_WIDTH) {
          expect(await log.entryBundle(n, width + 1)).toBeUndefined();
          expect(await store.readEntryBundle(n, width + 1)).toBeUndefined();
        }
      }
    } finally {
      await log.close();
    }
  }

  it('what passes wrote reads back exactly: by index, by range and as tlog-tiles bundles', async () => {
    expect(total % BUNDLE_WIDTH).not.toBe(0);
    await expectLogReads();
    await withDb(async (db) => {
      expect(await db.keys(ENTRY_RANGE).all()).toEqual([]);
      expect((await db.keys({ gte: bundleKey(0), lt: bundleKey(1 << 20) }).all()).length).toBe(Math.ceil(total / BUNDLE_WIDTH));
    });
  });

  /**
   * Turns the store back into layout 1 (one `e` key per leaf_input, metadata layout 1), except the
   * first `keepBundles` bundles, as a migration cut short after converting them would leave it.
   */
  async function toLayout1(keepBundles: number): Promise<void> {
    await withDb(async (db) => {
      const ops: { type: 'put' | 'del'; key: Buffer; value?: Buffer }[] = [];
      for (let n = keepBundles; n * BUNDLE_WIDTH < total; n++) {
        const leaves = splitBundle((await db.get(bundleKey(n)))!, n);
        leaves.forEach((leaf, i) => ops.push({ type: 'put', key: entryKey(n * BUNDLE_WIDTH + i), value: Buffer.from(leaf) }));
        ops.push({ type: 'del', key: bundleKey(n) });
      }
      const meta = decodeDcbor((await db.get(LOG_META_KEY))!) as Dcbor[];
      meta[0] = 1;
      ops.push({ type: 'put', key: LOG_META_KEY, value: Buffer.from(encodeDcbor(meta)) });
      await db.batch(ops as { type: 'put'; key: Buffer; value: Buffer }[]);
    });
  }

  async function expectLayout2(): Promise<void> {
    await withDb(async (db) => {
      expect(await db.keys(ENTRY_RANGE).all()).toEqual([]);
      expect((decodeDcbor((await db.get(LOG_META_KEY))!) as Dcbor[])[0]).toBe(2);
    });
  }

  it('a layout-1 store is migrated when opened, and passes the start-up checks', async () => {
    await toLayout1(0);
    await withDb(async (db) => expect((await db.keys(ENTRY_RANGE).all()).length).toBe(total));
    await expectLogReads();
    await expectLayout2();
  });

  it('a migration cut short (two bundles converted, the metadata still layout 1) resumes', async () => {
    await toLayout1(2);
    await expectLogReads();
    await expectLayout2();
  });

  it('a layout-1 store missing an entry is refused as damaged, and left as it was', async () => {
    await toLayout1(1);
    await withDb((db) => db.del(entryKey(300)));
    await expect(openLog(dir)).rejects.toThrow('store is damaged: entry 300 is missing (found while migrating to entry bundles)');
    await withDb(async (db) => expect((decodeDcbor((await db.get(LOG_META_KEY))!) as Dcbor[])[0]).toBe(1));
  });
});
