/**
 * Restart, start-up checks, pushback and shutdown, against a real LevelDB.
 */
import { describe, expect, it } from 'vitest';
import { dataPaths, loadKeys, openStore } from '../src/cli/datadir.js';
import { Log } from '../src/log/log.js';
import { verifyConsistency } from '../src/merkle/index.js';
import { openCheckpoint, parseVerifierKey } from '../src/note/index.js';
import { tileKey } from '../src/storage/keys.js';
import { Level } from 'level';
import { auditRecord, http, postRecord, startLog } from './harness.js';

describe('restart', () => {
  it('reopens at the same tree head and keeps appending consistently', async () => {
    const first = await startLog();
    const batch = Array.from({ length: 300 }, (_, i) => auditRecord(i));
    await http(`${first.url}/ct/v1/add-entries`, { method: 'POST', token: first.tokens['alice'], body: JSON.stringify(batch) });
    const before = (await http(`${first.url}/checkpoint`)).text;
    const tokens = first.tokens;
    await first.stop();

    const second = await startLog({ dir: first.dir });
    try {
      expect((await http(`${second.url}/checkpoint`)).text).toBe(before);
      // Tokens survive the restart (only their hashes are stored).
      const reply = await postRecord(second, auditRecord(999), tokens['bob']);
      expect(reply.status).toBe(200);
      expect(reply.json.leaf_index).toBe(300);
      const verifier = parseVerifierKey(second.verifierKey);
      const old = openCheckpoint(before, verifier).checkpoint;
      const now = openCheckpoint(reply.json.checkpoint, verifier).checkpoint;
      const proof = (await http(`${second.url}/ct/v1/get-sth-consistency?first=300&second=301`)).json.consistency;
      verifyConsistency(300, 301, old.rootHash, now.rootHash, proof.map((p: string) => Buffer.from(p, 'base64')));
    } finally {
      await second.destroy();
    }
  });

  it('refuses to open a store whose tiles do not match the signed root', async () => {
    const t = await startLog();
    await http(`${t.url}/ct/v1/add-entries`, { method: 'POST', token: t.tokens['alice'], body: JSON.stringify([{ a: 1 }, { a: 2 }, { a: 3 }]) });
    await t.stop();
    const db = new Level<Buffer, Buffer>(dataPaths(t.dir).db, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const tile = (await db.get(tileKey(0, 0)))!;
    tile[5] = (tile[5] ?? 0) ^ 1;
    await db.put(tileKey(0, 0), tile);
    await db.close();
    const { signer, verifier } = await loadKeys(t.dir);
    const store = await openStore(dataPaths(t.dir).db);
    await expect(Log.open({ store, signer, verifier })).rejects.toThrow(/damaged.*root recomputed/);
    await store.close();
    await t.destroy();
  });
});

describe('pushback and shutdown', () => {
  it('answers 503 with Retry-After when the pool is full, and logs nothing for it', async () => {
    const t = await startLog({ sequencer: { maxPendingEntries: 2, maxDelayMs: 300, maxBatchEntries: 100 } });
    try {
      const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => postRecord(t, { i })));
      const statuses = replies.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 503, 503, 503]);
      const refused = replies.find((r) => r.status === 503)!;
      expect(refused.json.error_code).toBe('overloaded');
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(t.log.head.size).toBe(2);
    } finally {
      await t.destroy();
    }
  });

  it('a pass starts at the batch size without waiting for the delay', async () => {
    const t = await startLog({ sequencer: { maxBatchEntries: 4, maxDelayMs: 60_000 } });
    try {
      const replies = await Promise.all(Array.from({ length: 4 }, (_, i) => postRecord(t, { i })));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    } finally {
      await t.destroy();
    }
  });

  it('a batch larger than the pass size or the pool still gets logged, in one pass', async () => {
    const t = await startLog({ sequencer: { maxBatchEntries: 4, maxPendingEntries: 2, maxDelayMs: 1 } });
    try {
      const batch = Array.from({ length: 10 }, (_, i) => ({ i }));
      const reply = await http(`${t.url}/ct/v1/add-entries`, { method: 'POST', token: t.tokens['alice'], body: JSON.stringify(batch) });
      expect(reply.status).toBe(200);
      expect(reply.json.receipts.map((r: any) => r.leaf_index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const { checkpoint } = openCheckpoint(reply.json.receipts[0].checkpoint, parseVerifierKey(t.verifierKey));
      expect(checkpoint.size).toBe(10);
    } finally {
      await t.destroy();
    }
  });

  it('finishes pooled entries on drain, then refuses new ones with 503 shutdown', async () => {
    const t = await startLog({ sequencer: { maxDelayMs: 200 } });
    try {
      const pending = postRecord(t, { a: 1 });
      await new Promise((r) => setTimeout(r, 50));
      const drained = t.log.drain();
      const refused = await postRecord(t, { a: 2 });
      expect(refused.status).toBe(503);
      expect(refused.json.error_code).toBe('shutdown');
      await drained;
      expect((await pending).status).toBe(200);
      expect(t.log.head.size).toBe(1);
    } finally {
      await t.destroy();
    }
  });
});
