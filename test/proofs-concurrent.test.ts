/**
 * Proofs served concurrently from a real LevelDB store: many get-proof-by-hash and
 * get-sth-consistency requests at once (as a load generator or a busy monitor sends them) share tile
 * reads and leaf-hash lookups (src/log/tiles.ts, LevelStore.findLeafIndex), and fold the tree's
 * ragged right edge once per leaf range (Log.proof). Every proof must still verify against roots
 * computed independently from the leaf hashes, cold (tiles read from the store) and warm (from
 * memory), at the current tree size and at older ones; unknown hashes are refused.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initLog, openLog } from '../src/cli/datadir.js';
import { prepareRecord } from '../src/log/prepare.js';
import { CompactRange, verifyConsistency, verifyInclusion } from '../src/merkle/index.js';
import { parseRecord } from '../src/record/index.js';
import { utf8 } from '../src/util/bytes.js';

const SIZES = [1, 300, 255, 512, 7, 230]; // passes: partial tiles, a full tile, two tile levels
const TOTAL = SIZES.reduce((a, b) => a + b, 0);

describe('concurrent proofs', () => {
  let parent: string;
  let dir: string;
  const leafHashes: Uint8Array[] = [];
  /** roots[n]: the root of the tree of the first n leaves, computed here from the leaf hashes. */
  const roots: Uint8Array[] = [];

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'sealtrail-proofs-'));
    dir = join(parent, 'data');
    await initLog(dir, 'proofs.test.example/log');
    const fields = parseRecord(utf8('{"event_id":"e","model":"m"}'));
    const { log } = await openLog(dir);
    try {
      for (const n of SIZES) {
        const receipts = await log.submit('gateway', Array.from({ length: n }, () => prepareRecord(fields, undefined)), { batch: true });
        for (const r of receipts) leafHashes[r.leaf_index] = Buffer.from(r.leaf_hash, 'base64');
      }
    } finally {
      await log.close();
    }
    const range = CompactRange.empty();
    for (const h of leafHashes) {
      range.append(h);
      roots[range.size] = range.root();
    }
  }, 60_000);

  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  /** Deterministic picks, so that a failure names the same leaves again. */
  const pick = (i: number, n: number): number => (i * 7919 + 13) % n;

  it('all at once, cold then warm: every proof verifies, unknown hashes are refused', async () => {
    const { log } = await openLog(dir);
    try {
      expect(log.head.size).toBe(TOTAL);
      for (const round of ['cold', 'warm']) {
        const sizes = [TOTAL, 1024, 1000, 513, 256, 255];
        const inclusion = Array.from({ length: 300 }, async (_, i) => {
          const size = sizes[i % sizes.length]!;
          const index = pick(i, size);
          const { leafIndex, auditPath } = await log.proofByHash(leafHashes[index]!, size);
          expect(leafIndex, round).toBe(index);
          verifyInclusion(index, size, leafHashes[index]!, auditPath, roots[size]!);
        });
        const unknown = Array.from({ length: 20 }, async () => {
          await expect(log.proofByHash(randomBytes(32), TOTAL)).rejects.toMatchObject({ code: 'hashUnknown' });
        });
        const consistency = Array.from({ length: 200 }, async (_, i) => {
          const second = 1 + pick(i, TOTAL);
          const first = 1 + pick(i * 31 + 5, second);
          const proof = await log.consistencyProof(first, second);
          verifyConsistency(first, second, roots[first]!, roots[second]!, proof);
        });
        await Promise.all([...inclusion, ...unknown, ...consistency]);
      }
    } finally {
      await log.close();
    }
  });
});
