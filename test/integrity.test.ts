/**
 * Start-up integrity (issue 5 item 2): `sealtrail serve` (a real process) on a real store damaged in
 * one way each time exits 1, never serves, and says what is wrong, naming the tile, entry, tree size
 * or file. The store is built once in-process, then copied for each kind of damage.
 */
import { cp, mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, defaultMasterKeyPath } from '../src/cli/datadir.js';
import { decodeDcbor, encodeDcbor } from '../src/record/cbor.js';
import type { Dcbor } from '../src/record/cbor.js';
import { appendToBundle, splitBundle } from '../src/storage/bundles.js';
import { STATE_KEY, bundleKey, recordKey, tileKey } from '../src/storage/keys.js';
import { auditRecord, http, removeDataDir, startLog, withRawDb } from './harness.js';
import type { RawDb } from './harness.js';
import { serve } from './process.js';

type Db = RawDb;
const withDb = withRawDb;

/** Replaces entry bundle `index`'s leaf_inputs with what `change` makes of them. */
async function rewriteBundle(db: Db, index: number, change: (leaves: Uint8Array[]) => Uint8Array[]): Promise<void> {
  const leaves = change(splitBundle((await db.get(bundleKey(index)))!, index));
  await db.put(bundleKey(index), appendToBundle(undefined, leaves, 0, leaves.length));
}

async function addEntries(url: string, token: string, count: number, from: number): Promise<void> {
  const batch = Array.from({ length: count }, (_, i) => auditRecord(from + i));
  const reply = await http(`${url}/ct/v1/add-entries`, { method: 'POST', token, body: JSON.stringify(batch) });
  expect(reply.status).toBe(200);
}

/** A copy of the data directory `from` (and its master key beside it), removed after the tests. */
const copies: string[] = [];
async function copyOf(from: string): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'sealtrail-damaged-'));
  copies.push(parent);
  const dir = join(parent, 'data');
  await cp(from, dir, { recursive: true });
  await cp(defaultMasterKeyPath(from), defaultMasterKeyPath(dir));
  return dir;
}

/**
 * Runs `sealtrail serve` on `dir` and returns what it printed; fails the test if it started serving.
 * (test/process.ts rejects with the output when the process exits before listening.)
 */
async function refusal(dir: string): Promise<string> {
  let started;
  try {
    started = await serve(['--data', dir]);
  } catch (e) {
    const m = /^server exited with (\S+) before listening:\n([\s\S]*)$/.exec((e as Error).message);
    if (!m) throw e;
    expect(m[1], m[2]).toBe('1');
    expect(m[2]).not.toMatch(/serving/);
    return m[2]!;
  }
  await started.stop('SIGKILL');
  throw new Error(`sealtrail serve started on a damaged store:\n${started.output()}`);
}

describe('start-up integrity: sealtrail serve refuses a damaged store and says what is wrong', () => {
  /** 310 entries: a full tile 0/0, a partial tile 0/1 of 54, tile 1/0 of 1. */
  let store310: string;
  /** The same log when it had 256 entries (no partial tile at level 0), and its tree head then. */
  let store256: string;
  let head256: Buffer;

  beforeAll(async () => {
    const t = await startLog();
    await addEntries(t.url, t.tokens['alice']!, 256, 0);
    await t.stop();
    store256 = await copyOf(t.dir);
    await withDb(t.dir, async (db) => {
      head256 = (await db.get(STATE_KEY))!;
    });
    const again = await startLog({ dir: t.dir });
    await addEntries(again.url, t.tokens['alice']!, 54, 256);
    await again.stop();
    store310 = t.dir;
  });
  afterAll(async () => {
    await removeDataDir(store310);
    for (const parent of copies) await rm(parent, { recursive: true, force: true });
  });

  it('an undamaged copy serves (so that the refusals below can fail)', async () => {
    const server = await serve(['--data', await copyOf(store310)]);
    expect(server.banner).toMatch(/tree size 310/);
    expect(await server.stop()).toBe(0);
  });

  const cases: { name: string; base: () => string; damage: (db: Db, dir: string) => Promise<void>; says: RegExp }[] = [
    {
      name: 'a hash in the newest (partial) tile altered',
      base: () => store310,
      damage: async (db) => {
        const tile = (await db.get(tileKey(0, 1)))!;
        tile[40] = tile[40]! ^ 1;
        await db.put(tileKey(0, 1), tile);
      },
      says: /store is damaged: the root recomputed from the stored tiles \(\S+\) differs from the signed root \(\S+\) at tree size 310/,
    },
    {
      name: 'the newest (partial) tile removed',
      base: () => store310,
      damage: (db) => db.del(tileKey(0, 1)),
      says: /store is damaged: tile 0\/1 should hold 54 hashes for tree size 310, found none/,
    },
    {
      name: 'the newest partial tile cut short',
      base: () => store310,
      damage: async (db) => db.put(tileKey(0, 1), (await db.get(tileKey(0, 1)))!.subarray(0, 53 * 32)),
      says: /store is damaged: tile 0\/1 should hold 54 hashes for tree size 310, found 53/,
    },
    {
      name: 'a hash in the newest full tile altered (a tile the right edge does not hold)',
      base: () => store310,
      damage: async (db) => {
        const tile = (await db.get(tileKey(0, 0)))!;
        tile[255 * 32] = tile[255 * 32]! ^ 1;
        await db.put(tileKey(0, 0), tile);
      },
      says: /store is damaged: tile 0\/0 does not hash to the node tile 1\/0 holds for it \(tree size 310\)/,
    },
    {
      name: 'the newest tile removed when it is full (tree size 256)',
      base: () => store256,
      damage: (db) => db.del(tileKey(0, 0)),
      says: /store is damaged: tile 0\/0 should hold 256 hashes for tree size 256, found none/,
    },
    {
      name: 'the newest entry removed',
      base: () => store310,
      damage: (db) => rewriteBundle(db, 1, (leaves) => leaves.slice(0, -1)),
      says: /store is damaged: the newest entry \(index 309, tree size 310\) is missing/,
    },
    {
      name: 'the newest entry replaced by the one before it',
      base: () => store310,
      damage: (db) => rewriteBundle(db, 1, (leaves) => [...leaves.slice(0, -1), leaves.at(-2)!]),
      says: /store is damaged: the newest entry \(index 309\) is not the leaf that tile 0\/1 holds at its index/,
    },
    {
      name: 'the newest entry bundle cut short by a byte',
      base: () => store310,
      damage: async (db) => db.put(bundleKey(1), (await db.get(bundleKey(1)))!.subarray(0, -1)),
      says: /store is damaged: entry bundle 1 is malformed/,
    },
    {
      name: 'an entry stored past the tree head (in its newest bundle)',
      base: () => store310,
      damage: (db) => rewriteBundle(db, 1, (leaves) => [...leaves, leaves.at(-1)!]),
      says: /store is damaged: it holds entry 310, beyond its tree head of size 310/,
    },
    {
      name: 'the newest record removed',
      base: () => store310,
      damage: (db) => db.del(recordKey(309)),
      says: /store is damaged: the record of the newest entry \(index 309\) is missing/,
    },
    {
      name: 'the newest record replaced by another entry\'s',
      base: () => store310,
      damage: async (db) => db.put(recordKey(309), (await db.get(recordKey(308)))!),
      says: /store is damaged: the record of entry 309 does not decrypt \(altered, or moved from another entry\)/,
    },
    {
      name: 'the stored checkpoint altered (its root line)',
      base: () => store310,
      damage: async (db) => {
        const head = decodeDcbor((await db.get(STATE_KEY))!) as Dcbor[];
        const lines = (head[3] as string).split('\n');
        lines[2] = `${lines[2]![0] === 'A' ? 'B' : 'A'}${lines[2]!.slice(1)}`;
        head[3] = lines.join('\n');
        await db.put(STATE_KEY, Buffer.from(encodeDcbor(head)));
      },
      says: /store is damaged: the stored checkpoint \(tree head size 310\) does not verify under the log's key/,
    },
    {
      name: 'the tree head\'s size altered',
      base: () => store310,
      damage: async (db) => {
        const head = decodeDcbor((await db.get(STATE_KEY))!) as Dcbor[];
        head[0] = 309;
        await db.put(STATE_KEY, Buffer.from(encodeDcbor(head)));
      },
      says: /store is damaged: the stored checkpoint \(size 310\) does not match the stored tree head \(size 309\)/,
    },
    {
      name: 'the tree head\'s timestamp altered (the STH served by get-sth no longer verifies)',
      base: () => store310,
      damage: async (db) => {
        const head = decodeDcbor((await db.get(STATE_KEY))!) as Dcbor[];
        head[2] = (head[2] as number) + 1;
        await db.put(STATE_KEY, Buffer.from(encodeDcbor(head)));
      },
      says: /store is damaged: the stored tree head signature \(STH of tree size 310, timestamp \d+\) does not verify under the log's key/,
    },
    {
      name: 'the tree head rolled back to an older signed one (the log truncated to 256 entries)',
      base: () => store310,
      damage: (db) => db.put(STATE_KEY, head256),
      says: /store is damaged: it holds entry 256, beyond its tree head of size 256/,
    },
    {
      name: 'the tree head removed',
      base: () => store310,
      damage: (db) => db.del(STATE_KEY),
      says: /store is damaged: it holds the log's metadata but no tree head/,
    },
    {
      name: 'a LevelDB table file truncated',
      base: () => store310,
      damage: async (db, dir) => {
        // Move everything into tables first, then cut the largest in half.
        await (db as unknown as { compactRange(a: Buffer, b: Buffer): Promise<void> }).compactRange(Buffer.of(0), Buffer.of(0xff));
        await db.close();
        const files = await tables(dir);
        const [largest] = files.sort((a, b) => b.size - a.size);
        await truncate(largest!.path, Math.floor(largest!.size / 2));
      },
      says: /store is damaged or unreadable: LevelDB could not (open|read) \S+: .*\d{6}\.ldb/,
    },
    {
      name: 'the LevelDB manifest truncated',
      base: () => store310,
      damage: async (db, dir) => {
        await db.close();
        const manifest = (await readdir(dataPaths(dir).db)).find((f) => f.startsWith('MANIFEST-'))!;
        await truncate(join(dataPaths(dir).db, manifest), 10);
      },
      // LevelDB calls the manifest its descriptor.
      says: /store is damaged or unreadable: LevelDB could not open \S+\/db: Corruption: .*descriptor/,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const dir = await copyOf(c.base());
      await withDb(dir, (db) => c.damage(db, dir));
      const output = await refusal(dir);
      expect(output).toMatch(/^sealtrail serve: /m);
      expect(output).toMatch(c.says);
    });
  }
});

async function tables(dir: string): Promise<{ path: string; size: number }[]> {
  const db = dataPaths(dir).db;
  const names = (await readdir(db)).filter((f) => f.endsWith('.ldb'));
  return Promise.all(names.map(async (f) => ({ path: join(db, f), size: (await stat(join(db, f))).size })));
}

// Not detectable from the store alone, hence not tested here: a write-ahead log cut short, which
// LevelDB replays as far as it is intact, exactly as after a crash; the store is then an older,
// consistent log. Receipts and witnesses' cosigned checkpoints are what show such a rollback.
