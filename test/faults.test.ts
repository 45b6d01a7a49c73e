/**
 * Storage faults (issue 5 item 2) against a real LevelDB and real HTTP: a write that fails with
 * ENOSPC or EIO fails its whole pass, every request waiting on it gets 503 `storage` with
 * Retry-After, nothing of it becomes visible, and once the fault clears the next pass continues at
 * the next index. Faults are injected only where LevelStore calls LevelDB (LevelStore.injectFault);
 * the last test fills a real tmpfs instead.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, rmdir, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.js';
import { dataPaths, initLog, openStore } from '../src/cli/datadir.js';
import { verifyReceipt } from '../src/client/receipt.js';
import { RetentionJob, RETENTION_JOB } from '../src/log/retention.js';
import { DAY_MS, parseRetentionPolicy } from '../src/log/retention-policy.js';
import { hashLeaf, verifyConsistency, verifyInclusion } from '../src/merkle/index.js';
import { openCheckpoint, parseVerifierKey } from '../src/note/index.js';
import { decodeDcbor } from '../src/record/cbor.js';
import type { Dcbor } from '../src/record/cbor.js';
import { recordKey } from '../src/storage/keys.js';
import { fromBase64, utf8 } from '../src/util/bytes.js';
import { LogError } from '../src/util/errors.js';
import { auditRecord, filesContaining, http, postRecord, startLog } from './harness.js';
import type { Reply, TestLog } from './harness.js';

const b64 = (s: string): Uint8Array => fromBase64(s)!;

/** What a client can see of the log's state, to compare before and after a failed pass. */
async function visible(t: TestLog): Promise<{ size: number; sth: unknown; checkpoint: string; edgeTile: string | undefined }> {
  const sth = (await http(`${t.url}/ct/v1/get-sth`)).json;
  const size = (await http(`${t.url}/v1/log`)).json.tree_size as number;
  expect(sth.tree_size).toBe(size);
  const width = size % 256;
  const edgeTile = width === 0 ? undefined : Buffer.from(await (await fetch(`${t.url}/tile/0/000.p/${width}`)).arrayBuffer()).toString('base64');
  return { size, sth, checkpoint: (await http(`${t.url}/checkpoint`)).text, edgeTile };
}

/** Passes that failed as a whole, from GET /metrics. */
async function failedPasses(t: TestLog): Promise<number> {
  const text = (await http(`${t.url}/metrics`)).text;
  return Number(/^sealtrail_sequencing_pass_failures_total (\d+)$/m.exec(text)![1]);
}

/** The pinned error body (PROTOCOL §5) of a storage fault: 503, Retry-After, what went wrong. */
function expectStorage503(reply: Reply, problem: RegExp): void {
  expect(reply.status, reply.text).toBe(503);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(reply.headers.get('retry-after')).toBe('1');
  expect(Object.keys(reply.json).sort()).toEqual(['error_code', 'error_message']);
  expect(reply.json.error_code).toBe('storage');
  expect(reply.json.error_message).toMatch(problem);
}

const PASS_FAILED = (problem: string): RegExp =>
  new RegExp(`^the log could not store this pass: ${problem}; nothing of it was published, retry shortly`);
const ENOSPC = 'the disk is full \\(ENOSPC\\)';
const EIO = 'the disk reported an I/O error \\(EIO\\)';

describe('a storage fault in the middle of a pass', () => {
  // A pass starts only once 6 entries are pooled, so each round's 3 add-entry and one add-entries of
  // 3 wait on one and the same pass.
  let t: TestLog;
  const receipts = new Map<number, { receipt: any; record: string }>();

  beforeAll(async () => {
    t = await startLog({ sequencer: { maxBatchEntries: 6, maxDelayMs: 60_000 } });
  });
  afterAll(() => t.destroy());

  /** One round: 3 add-entry (with Idempotency-Key) and one add-entries of 3, concurrently. */
  function round(tag: string): { send(): Promise<Reply[]>; records: string[] } {
    const records = Array.from({ length: 6 }, (_, i) => JSON.stringify(auditRecord(i, { event_id: `${tag}-${i}` })));
    return {
      records,
      send: () =>
        Promise.all([
          ...records.slice(0, 3).map((r, i) => postRecord(t, r, t.tokens['alice'], { 'idempotency-key': `${tag}-key-${i}` })),
          http(`${t.url}/ct/v1/add-entries`, { method: 'POST', token: t.tokens['bob'], headers: { 'content-type': 'application/json' }, body: `[${records.slice(3).join(',')}]` }),
        ]),
    };
  }

  /** The receipts of a round, in record order. */
  const receiptsOf = (replies: Reply[]): any[] => [...replies.slice(0, 3).map((r) => r.json), ...replies[3]!.json.receipts];

  it('the first round is logged', async () => {
    const r = round('first');
    const replies = await r.send();
    expect(replies.map((x) => x.status)).toEqual([200, 200, 200, 200]);
    receiptsOf(replies).forEach((receipt, i) => receipts.set(receipt.leaf_index, { receipt, record: r.records[i]! }));
    expect([...receipts.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  for (const { code, problem, once } of [
    { code: 'ENOSPC', problem: ENOSPC, once: false },
    { code: 'EIO', problem: EIO, once: true },
  ]) {
    it(`${code}${once ? ' (once)' : ' (until cleared)'}: every waiting request gets 503 storage, nothing is visible, the retry gets the next indices`, async () => {
      const before = await visible(t);
      const failuresBefore = await failedPasses(t);
      const r = round(code);

      t.store.injectFault({ code, writes: ['batch'], ...(once ? { times: 1 } : {}) });
      const failed = await r.send();
      for (const reply of failed) expectStorage503(reply, PASS_FAILED(problem));
      // One pass, not one per request.
      expect(await failedPasses(t)).toBe(failuresBefore + 1);

      // Nothing partial is visible: tree head, checkpoint, the edge tile, entries, records, lookups.
      expect(await visible(t)).toEqual(before);
      const size = before.size;
      expect((await http(`${t.url}/ct/v1/get-entries?start=${size}&end=${size + 5}`)).json.error_code).toBe('startUnknown');
      expect((await http(`${t.url}/tile/0/000.p/${(size % 256) + 1}`)).status).toBe(404);
      expect((await http(`${t.url}/ct/v1/get-entry-and-proof?leaf_index=${size}&tree_size=${size + 1}`)).json.error_code).toBe('treeSizeUnknown');
      expect((await http(`${t.url}/v1/records/${size}`, { token: t.tokens['carol'] })).status).toBe(404);
      expect((await http(`${t.url}/v1/records?event_id=${code}-0`, { token: t.tokens['carol'] })).status).toBe(404);
      expect((await http(`${t.url}/v1/records?event_id=${code}-4`, { token: t.tokens['carol'] })).status).toBe(404);
      // No idempotency key was kept (one header key, one event_id serving as key).
      const keys = [{ submitter: 'alice', key: `${code}-key-0` }, { submitter: 'bob', key: `${code}-4` }];
      expect(await t.store.readIdempotency(keys)).toEqual([undefined, undefined]);
      // In memory too: nothing left pooled, and the published edge and tile cache still prove the old tree.
      expect(t.log.pendingEntries).toBe(0);
      expect(t.log.head.size).toBe(size);
      const last = receipts.get(size - 1)!.receipt;
      const proof = (await http(`${t.url}/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(last.leaf_hash)}&tree_size=${size}`)).json;
      const oldRoot = b64((before.sth as any).sha256_root_hash);
      verifyInclusion(size - 1, size, b64(last.leaf_hash), proof.audit_path.map(b64), oldRoot);

      if (!once) {
        // The fault holds until cleared: the same requests fail again, as one more whole pass.
        for (const reply of await r.send()) expectStorage503(reply, PASS_FAILED(problem));
        expect(await failedPasses(t)).toBe(failuresBefore + 2);
        expect(await visible(t)).toEqual(before);
        t.store.clearFault();
      }

      // The same requests again: the idempotency keys and event_ids of the failed pass were not
      // recorded, so each gets a fresh entry, at exactly the next indices.
      const replies = await r.send();
      expect(replies.map((x) => x.status)).toEqual([200, 200, 200, 200]);
      const logged = receiptsOf(replies);
      expect(logged.map((x) => x.leaf_index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5].map((i) => size + i));
      const verifier = parseVerifierKey(t.verifierKey);
      logged.forEach((receipt, i) => {
        verifyReceipt(receipt, utf8(r.records[i]!), t.verifierKey);
        expect(openCheckpoint(receipt.checkpoint, verifier).checkpoint.size).toBe(size + 6);
        receipts.set(receipt.leaf_index, { receipt, record: r.records[i]! });
      });
      // The new tree extends the old one.
      const after = await visible(t);
      const consistency = (await http(`${t.url}/ct/v1/get-sth-consistency?first=${size}&second=${after.size}`)).json.consistency;
      verifyConsistency(size, after.size, oldRoot, b64((after.sth as any).sha256_root_hash), consistency.map(b64));
      // Now the keys are recorded: a repeat returns the same entries.
      expect((await t.store.readIdempotency(keys)).map((k) => k?.index)).toEqual([logged[0].leaf_index, logged[4].leaf_index]);
      const repeated = receiptsOf(await r.send());
      expect(repeated.map((x) => x.leaf_index)).toEqual(logged.map((x) => x.leaf_index));
      expect(t.log.head.size).toBe(size + 6);
    });
  }

  it('after closing and reopening the store, every entry is there once, at its index, and proofs verify', async () => {
    const before = await visible(t);
    expect(before.size).toBe(18);
    await t.stop();
    const again = await startLog({ dir: t.dir });
    try {
      const after = await visible(again);
      expect(after).toEqual(before);
      const root = b64((after.sth as any).sha256_root_hash);
      const entries = (await http(`${again.url}/ct/v1/get-entries?start=0&end=${after.size - 1}`)).json.entries;
      expect(entries).toHaveLength(after.size);
      for (const [index, { receipt, record }] of receipts) {
        expect(entries[index].leaf_input).toBe(receipt.leaf_input);
        const proof = (await http(`${again.url}/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(receipt.leaf_hash)}&tree_size=${after.size}`)).json;
        expect(proof.leaf_index).toBe(index);
        verifyInclusion(index, after.size, hashLeaf(b64(receipt.leaf_input)), proof.audit_path.map(b64), root);
        const read = (await http(`${again.url}/v1/records/${index}`, { token: t.tokens['carol'] })).json;
        expect(read.values).toEqual(JSON.parse(record));
      }
    } finally {
      await again.stop();
    }
  });
});

describe('a write that fails but reached the disk all the same (as after a failed fsync)', () => {
  let t: TestLog;
  const read = async (index: number) => (await http(`${t.url}/v1/records/${index}`, { token: t.tokens['carol'] })).json;
  beforeAll(async () => {
    t = await startLog();
  });
  afterAll(() => t.destroy());

  it('is published whole once the store shows it; the next pass continues after it; a retry gets the original entry', async () => {
    expect((await postRecord(t, { n: 0 })).status).toBe(200);
    const record = JSON.stringify({ n: 1, event_id: 'landed-1' });
    t.store.injectFault({ code: 'EIO', writes: ['batch'], times: 1, landed: true });
    expectStorage503(await postRecord(t, record), PASS_FAILED(EIO));

    // The retry finds the entry the failed pass wrote after all (and not a second one), and the next
    // record goes after it: without the sequencer reloading the stored head, index 1 would be given
    // out a second time, over the stored entry.
    const retry = await postRecord(t, record);
    expect(retry.status).toBe(200);
    expect(retry.json.leaf_index).toBe(1);
    verifyReceipt(retry.json, utf8(record), t.verifierKey);
    const next = await postRecord(t, { n: 2 });
    expect(next.json.leaf_index).toBe(2);
    verifyReceipt(next.json, utf8(JSON.stringify({ n: 2 })), t.verifierKey);
    expect((await http(`${t.url}/ct/v1/get-entries?start=0&end=9`)).json.entries).toHaveLength(3);
  });

  it('a crypto-shred that reached the disk: the records read as erased by it, and the tenant gets a new key', async () => {
    const size = t.log.head.size;
    const first = await postRecord(t, { tenant_id: 'umbrella', user_email: 'a@umbrella.example' });
    t.store.injectFault({ code: 'EIO', writes: ['batch'], times: 1, landed: true });
    await expect(t.log.shredTenant('umbrella', 'dpo')).rejects.toThrow(PASS_FAILED(EIO));
    // The shred's pass is on disk: once published (at the latest by the next pass), the tenant's
    // records read as erased by it, and its next record is sealed under a new key.
    const later = await postRecord(t, { tenant_id: 'umbrella', user_email: 'b@umbrella.example' });
    expect(later.json.leaf_index).toBe(size + 2);
    expect(await read(first.json.leaf_index)).toMatchObject({ values: {}, erased: { user_email: { erasure_index: size + 1 } } });
    expect((await read(size + 1)).values).toEqual({ tenant_id: 'umbrella', reason: 'crypto-shred', requested_by: 'dpo' });
    expect((await read(later.json.leaf_index)).values.user_email).toBe('b@umbrella.example');

    const checkpoint = (await http(`${t.url}/checkpoint`)).text;
    await t.stop();
    const again = await startLog({ dir: t.dir });
    try {
      expect((await http(`${again.url}/checkpoint`)).text).toBe(checkpoint);
      expect((await postRecord(again, { n: 3 }, t.tokens['alice'])).json.leaf_index).toBe(size + 3);
    } finally {
      await again.stop();
    }
  });
});

describe('faults in writes outside a pass: erasure, crypto-shred, retention', () => {
  let t: TestLog;
  const read = async (index: number) => (await http(`${t.url}/v1/records/${index}`, { token: t.tokens['carol'] })).json;
  const erase = (index: number, fields: string[]) =>
    http(`${t.url}/v1/records/${index}/erase`, { method: 'POST', token: t.tokens['root'], body: JSON.stringify({ fields, reason: 'test' }) });

  beforeAll(async () => {
    t = await startLog({ principals: { alice: 'submitter', carol: 'auditor', root: 'admin' } });
    for (let i = 0; i < 4; i++) {
      const reply = await postRecord(t, { event_id: `e-${i}`, tenant_id: i < 2 ? 'acme' : 'globex', user_email: `person-${i}@example.com`, category: 'normal' });
      expect(reply.json.leaf_index).toBe(i);
    }
  });
  afterAll(() => t.destroy());

  it('erasure: a failed pass is 503 storage and erases nothing; the retry erases', async () => {
    t.store.injectFault({ code: 'ENOSPC', writes: ['batch'] });
    expectStorage503(await erase(0, ['user_email']), PASS_FAILED(ENOSPC));
    expect((await read(0)).values.user_email).toBe('person-0@example.com');
    expect(t.log.head.size).toBe(4);
    t.store.clearFault();
    const reply = await erase(0, ['user_email']);
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ erasure_index: 4, erased: ['user_email'] });
    expect((await read(0)).erased).toHaveProperty('user_email');
  });

  it('erasure: a failed compaction is 503 storage saying the entry is logged; repeating it removes the old values from the files', async () => {
    const db = (t.store as unknown as { db: { get(key: Buffer): Promise<Buffer | undefined> } }).db;
    const stored = decodeDcbor((await db.get(recordKey(1)))!) as Dcbor[];
    const sealed = Buffer.from(stored[3] as Uint8Array).subarray(16, 48);
    t.store.injectFault({ code: 'EIO', writes: ['compact'], times: 1 });
    const reply = await erase(1, ['user_email']);
    expectStorage503(reply, new RegExp(`^erasure entry 5 is logged and the fields read as erased, but their old values could not yet be removed from the files: ${EIO}; send the same request again to finish$`));
    // The erasure itself is whole: its entry is published and the field reads as erased.
    expect(t.log.head.size).toBe(6);
    expect((await read(1)).erased.user_email.erasure_index).toBe(5);
    expect(await filesContaining(t.dir, sealed)).not.toEqual([]);
    const repeat = await erase(1, ['user_email']);
    expect(repeat.status).toBe(200);
    expect(repeat.json).toMatchObject({ erasure_index: 5, erased: [], already_erased: [{ field: 'user_email', erasure_index: 5 }] });
    expect(await filesContaining(t.dir, sealed)).toEqual([]);
    expect(t.log.head.size).toBe(6);
  });

  it('crypto-shred: a failed pass refuses with storage and destroys no key; the retry shreds', async () => {
    t.store.injectFault({ code: 'ENOSPC', writes: ['batch'], times: 1 });
    const error = await t.log.shredTenant('globex', 'dpo').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LogError);
    expect((error as LogError).code).toBe('storage');
    expect((error as LogError).message).toMatch(PASS_FAILED(ENOSPC));
    expect((await read(2)).values.user_email).toBe('person-2@example.com');
    expect(t.log.head.size).toBe(6);
    const { erasureIndex } = await t.log.shredTenant('globex', 'dpo');
    expect(erasureIndex).toBe(6);
    expect((await read(2)).values).toEqual({});
  });

  it('crypto-shred: a failed compaction does not undo the durable shred; the next pass compacts', async () => {
    // The data-key slots as stored (LevelDB key → dCBOR `[wrapped key]`, or a shred's tombstone).
    const db = (t.store as unknown as { db: { iterator(o: object): { all(): Promise<[Buffer, Buffer][]> } } }).db;
    const slots = async (): Promise<Map<string, Dcbor[]>> =>
      new Map((await db.iterator({ gte: Buffer.from('d'), lt: Buffer.from('e') }).all()).map(([k, v]) => [k.toString('hex'), decodeDcbor(v) as Dcbor[]]));
    const before = await slots();
    t.store.injectFault({ code: 'EIO', writes: ['compact'], times: 1 });
    const { erasureIndex } = await t.log.shredTenant('acme', 'dpo');
    // The shred is published and whole (had commit failed, the next pass would reuse index 7).
    expect(erasureIndex).toBe(7);
    expect(t.log.head.size).toBe(8);
    expect((await read(0)).values).toEqual({});
    const destroyed = [...(await slots())].filter(([k, v]) => v[0] === 'shredded' && v[1] === 7 && before.get(k)?.length === 1);
    expect(destroyed).toHaveLength(1);
    const wrapped = Buffer.from(before.get(destroyed[0]![0])![0] as Uint8Array);
    // The compaction failed, so the destroyed key's bytes are still in some file…
    expect(await filesContaining(t.dir, wrapped)).not.toEqual([]);
    // …until the next pass, which retries it.
    const next = await postRecord(t, { event_id: 'after-shred', tenant_id: 'initech', user_email: 'someone@example.com' });
    expect(next.json.leaf_index).toBe(8);
    expect(await filesContaining(t.dir, wrapped)).toEqual([]);
  });

  it('retention: a failed erasure stops the run with storage and erases nothing; a failed cursor write loses nothing', async () => {
    const policy = parseRetentionPolicy({ default: '1d' });
    const job = new RetentionJob({ log: t.log, store: t.store, policy, now: () => Date.now() + 2 * DAY_MS });
    // Record 3 (globex, shredded: nothing left) and 8 (initech) are due; 8 has fields to erase.
    const size = t.log.head.size;
    t.store.injectFault({ code: 'ENOSPC', writes: ['batch'] });
    await expect(job.run()).rejects.toThrow(PASS_FAILED(ENOSPC));
    expect(t.log.head.size).toBe(size);
    expect(await t.store.readJobState(RETENTION_JOB)).toBeUndefined();

    // Now the erasures go through but the cursor write fails: the run says so, the erasures stand.
    t.store.injectFault({ code: 'EIO', writes: ['put'] });
    await expect(job.run()).rejects.toThrow(/^the disk reported an I\/O error \(EIO\)$/);
    const erasedTo = t.log.head.size;
    expect(erasedTo).toBeGreaterThan(size);
    expect(await t.store.readJobState(RETENTION_JOB)).toBeUndefined();

    // Cleared: the next run finds nothing left to erase (no entry twice), and stores its cursor.
    t.store.clearFault();
    const report = await job.run();
    expect(report.erasures).toEqual([]);
    expect(t.log.head.size).toBe(erasedTo);
    expect(await t.store.readJobState(RETENTION_JOB)).toBeDefined();
  });
});

describe('a real full disk (tmpfs)', () => {
  it('ENOSPC fails passes with 503 storage while reads go on; once space is freed every acknowledged entry survives a restart', async (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip('needs root to mount a tmpfs');
    const mnt = await mkdtemp(join(tmpdir(), 'sealtrail-tmpfs-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      await rmdir(mnt);
      ctx.skip('mount -t tmpfs failed (no CAP_SYS_ADMIN in this container?)');
    }
    let t: TestLog | undefined;
    try {
      const dir = join(mnt, 'data');
      await initLog(dir, 'test.example/tmpfs');
      const setup = await openStore(dataPaths(dir).db);
      const tokens = {
        alice: await createToken(setup, { name: 'alice', role: 'submitter', createdAt: 0 }),
        carol: await createToken(setup, { name: 'carol', role: 'auditor', createdAt: 0 }),
      };
      await setup.close();
      t = await startLog({ dir });
      const acknowledged: any[] = [];
      const submit = async (i: number): Promise<Reply> => {
        const reply = await postRecord(t!, auditRecord(i), tokens.alice);
        if (reply.status === 200) acknowledged.push(reply.json);
        return reply;
      };
      for (let i = 0; i < 3; i++) expect((await submit(i)).status).toBe(200);

      // Leave ~48 KiB: a few passes (each writes its entry, the edge tile and the head) fit.
      const free = async (): Promise<number> => {
        const s = await statfs(mnt);
        return s.bavail * s.bsize;
      };
      await writeFile(join(mnt, 'filler'), Buffer.alloc((await free()) - 48 * 1024));
      let refused: Reply | undefined;
      for (let i = 3; i < 200 && !refused; i++) {
        const reply = await submit(i);
        if (reply.status !== 200) refused = reply;
      }
      expect(refused, 'the disk never filled').toBeDefined();
      expectStorage503(refused!, PASS_FAILED(`${ENOSPC}[^;]*`));
      const size = acknowledged.length;
      expect(t.log.head.size).toBe(size);
      // Still full: still refused, and reads still answer.
      expectStorage503(await submit(1000), PASS_FAILED(`${ENOSPC}[^;]*`));
      expect((await http(`${t.url}/ct/v1/get-sth`)).json.tree_size).toBe(size);
      expect((await http(`${t.url}/ct/v1/get-entries?start=0&end=${size - 1}`)).json.entries).toHaveLength(size);
      expect((await http(`${t.url}/v1/records/${size - 1}`, { token: tokens.carol })).status).toBe(200);

      // Space freed: the next passes succeed, at the next indices.
      await rm(join(mnt, 'filler'));
      for (let i = 0; i < 20; i++) expect((await submit(2000 + i)).status).toBe(200);
      expect(acknowledged.map((r) => r.leaf_index)).toEqual(acknowledged.map((_, i) => i));
      const checkpoint = (await http(`${t.url}/checkpoint`)).text;
      await t.stop();

      // LevelDB replays its write-ahead log at open: every acknowledged entry must still be there
      // (without the reopen after a failed write, those written after it were dropped here).
      t = await startLog({ dir });
      expect((await http(`${t.url}/checkpoint`)).text).toBe(checkpoint);
      const entries = (await http(`${t.url}/ct/v1/get-entries?start=0&end=${acknowledged.length - 1}`)).json.entries;
      expect(entries.map((e: any) => e.leaf_input)).toEqual(acknowledged.map((r) => r.leaf_input));
      const last = await submit(3000);
      expect(last.json.leaf_index).toBe(acknowledged.length - 1);
    } finally {
      await t?.destroy();
      execFileSync('umount', [mnt]);
      await rmdir(mnt);
    }
  });
});
