/**
 * Encryption at rest (issue 4 item 5, spec/formats.md §20) over real HTTP with a real LevelDB:
 * no plaintext value in any file, reads still verify, the master key is required and checked, and
 * crypto-shredding a tenant makes its records read as erased while other tenants are unaffected.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { dataPaths, defaultMasterKeyPath } from '../src/cli/datadir.js';
import { verifyReceipt } from '../src/client/receipt.js';
import { generateMasterKey } from '../src/storage/crypto.js';
import { LevelStore } from '../src/storage/level.js';
import { fromBase64, utf8 } from '../src/util/bytes.js';
import { hashLeaf, verifyInclusion } from '../src/merkle/index.js';
import { openCheckpoint, parseVerifierKey } from '../src/note/index.js';
import { decodeLeaf, recordDigest } from '../src/record/index.js';
import { http, postRecord, startLog } from './harness.js';
import { filesContaining } from './harness.js';
import type { TestLog } from './harness.js';


/** Runs `sealtrail ARGS` in-process; its exit code and what it printed. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    return { code: await main(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const unique = (what: string): string => `${what}-${randomBytes(8).toString('hex')}`;

describe('encryption at rest', () => {
  let t: TestLog;
  const markers = { email: unique('email'), note: unique('note'), nested: unique('nested'), tenantA: unique('tenant-a'), tenantB: unique('tenant-b') };
  const recordA = { tenant_id: markers.tenantA, user_email: markers.email, detail: { note: markers.note, list: [markers.nested] }, tokens: 42 };
  const recordB = { tenant_id: markers.tenantB, user_email: `b-${markers.email}`, model: 'gpt-5.1' };
  const recordNone = { who: `none-${markers.note}` };
  const receipts: any[] = [];
  const read = async (log: TestLog, index: number) => http(`${log.url}/v1/records/${index}`, { token: t.tokens['carol'] });

  beforeAll(async () => {
    t = await startLog({ principals: { alice: 'submitter', carol: 'auditor', root: 'admin' } });
    for (const r of [recordA, recordB, recordNone]) receipts.push((await postRecord(t, r)).json);
  });
  afterAll(() => t.destroy());

  it('the master key is beside the data directory, never inside it, and only its owner can read it', async () => {
    const path = defaultMasterKeyPath(t.dir);
    expect(dirname(path)).toBe(dirname(t.dir));
    expect((await stat(path)).mode & 0o077).toBe(0);
    const key = (await readFile(path, 'utf8')).trim();
    expect(await filesContaining(t.dir, key)).toEqual([]);
    expect(await filesContaining(t.dir, Buffer.from(key, 'base64').toString('latin1'))).toEqual([]);
  });

  it('no plaintext value of a submitted record is in any file (write-ahead log included), with no compaction', async () => {
    // The pass is durable: the receipts are in hand. Nothing was compacted: the values are in the WAL.
    expect(receipts.map((r) => r.leaf_index)).toEqual([0, 1, 2]);
    for (const marker of Object.values(markers)) expect(await filesContaining(t.dir, marker), marker).toEqual([]);
    expect(await filesContaining(t.dir, 'gpt-5.1')).toEqual([]);
    // The scan can find what is there: the field names are stored in the clear (§20.1).
    expect(await filesContaining(t.dir, 'user_email')).not.toEqual([]);
  });

  it('reads decrypt, and verify against the receipts', async () => {
    for (const [i, record] of [recordA, recordB, recordNone].entries()) {
      const reply = await read(t, i);
      expect(reply.status).toBe(200);
      expect(reply.json.values).toEqual(record);
      verifyReceipt(reply.json, utf8(JSON.stringify(reply.json.values)), t.verifierKey);
      verifyReceipt(receipts[i], utf8(JSON.stringify(record)), t.verifierKey);
    }
  });

  it('a store opened without the master key serves tokens and the tree, but refuses records clearly', async () => {
    await t.stop();
    const store = await LevelStore.open(dataPaths(t.dir).db);
    try {
      expect(await store.isEncrypted()).toBe(true);
      expect((await store.listPrincipals()).length).toBe(3);
      expect(await store.readEntry(0)).toBeDefined();
      await expect(store.readRecord(0)).rejects.toThrow(/opened without the master key/);
    } finally {
      await store.close();
    }
  });

  it('restarts with the master key; refuses without it and with a wrong one, clearly', async () => {
    const keyPath = defaultMasterKeyPath(t.dir);
    const aside = `${keyPath}.aside`;
    await rename(keyPath, aside);
    try {
      const none = await cli(['serve', '--data', t.dir, '--addr', '127.0.0.1:0']);
      expect(none.code).toBe(1);
      expect(none.err).toMatch(/encrypted at rest and needs its master key: give --master-key FILE or set SEALTRAIL_MASTER_KEY/);

      const wrong = `${keyPath}.wrong`;
      await writeFile(wrong, Buffer.from(generateMasterKey()), { mode: 0o600 });
      const refused = await cli(['serve', '--data', t.dir, '--addr', '127.0.0.1:0', '--master-key', wrong]);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/master key is not the one this log was created with/);

      await chmod(wrong, 0o644);
      expect((await cli(['serve', '--data', t.dir, '--master-key', wrong])).err).toMatch(/can be read by other users/);
      const inside = join(t.dir, 'master.key');
      await writeFile(inside, Buffer.from(generateMasterKey()), { mode: 0o600 });
      expect((await cli(['serve', '--data', t.dir, '--master-key', inside])).err).toMatch(/inside the data directory/);
    } finally {
      await rename(aside, keyPath);
    }
    const again = await startLog({ dir: t.dir });
    try {
      expect((await read(again, 0)).json.values).toEqual(recordA);
    } finally {
      await again.stop();
    }
  });

  it('the master key may come from SEALTRAIL_MASTER_KEY (base64)', async () => {
    const keyPath = defaultMasterKeyPath(t.dir);
    const key = (await readFile(keyPath, 'utf8')).trim();
    await rename(keyPath, `${keyPath}.aside`);
    process.env['SEALTRAIL_MASTER_KEY'] = key;
    try {
      const again = await startLog({ dir: t.dir });
      try {
        expect((await read(again, 1)).json.values).toEqual(recordB);
      } finally {
        await again.stop();
      }
    } finally {
      delete process.env['SEALTRAIL_MASTER_KEY'];
      await rename(`${keyPath}.aside`, keyPath);
    }
  });

  it('tenant shred: that tenant reads as erased (and still verifies), other tenants are unaffected', async () => {
    const shred = await cli(['tenant', 'shred', '--data', t.dir, '--tenant', markers.tenantA, '--requested-by', 'dpo']);
    expect(shred.err).toBe('');
    expect(shred.code).toBe(0);
    expect(shred.out).toMatch(/erasure entry 3 records it/);

    const again = await startLog({ dir: t.dir });
    try {
      const a = (await read(again, 0)).json;
      expect(a.values).toEqual({});
      expect(Object.keys(a.erased).sort()).toEqual(['detail', 'tenant_id', 'tokens', 'user_email']);
      for (const e of Object.values(a.erased) as any[]) expect(e.erasure_index).toBe(3);
      // The record still verifies, through the commitments kept in the clear: the log lost nothing else.
      // The offline verifier takes the read as it is, with the empty values as the record…
      verifyReceipt(a, utf8('{}'), t.verifierKey);
      // …and, checked by hand, the digest from the commitments and the inclusion proof agree.
      const leaf = decodeLeaf(fromBase64(a.leaf_input)!);
      const commitments = Object.entries(a.erased as Record<string, { commitment: string }>).map(([n, e]) => [n, fromBase64(e.commitment)!] as const);
      expect(Buffer.from(recordDigest(commitments)).equals(Buffer.from(leaf.record))).toBe(true);
      const head = openCheckpoint(a.checkpoint, parseVerifierKey(t.verifierKey)).checkpoint;
      verifyInclusion(0, head.size, hashLeaf(fromBase64(a.leaf_input)!), a.audit_path.map((p: string) => fromBase64(p)!), head.rootHash);
      verifyReceipt(receipts[0], utf8(JSON.stringify(recordA)), t.verifierKey);

      // Other tenants (and the default one) are unaffected.
      expect((await read(again, 1)).json.values).toEqual(recordB);
      expect((await read(again, 2)).json.values).toEqual(recordNone);

      // The erasure entry names the tenant and is readable (sealed under the default key).
      const entry = (await read(again, 3)).json;
      expect(entry.kind).toBe('erasure');
      expect(entry.values).toEqual({ tenant_id: markers.tenantA, reason: 'crypto-shred', requested_by: 'dpo' });
      verifyReceipt(entry, utf8(JSON.stringify(entry.values)), t.verifierKey);

      // The tenant's later records get a new key and read normally.
      const later = { tenant_id: markers.tenantA, n: 1 };
      const posted = await postRecord(again, later, t.tokens["alice"]);
      expect(posted.status, posted.text).toBe(200);
      const receipt = posted.json;
      expect((await read(again, receipt.leaf_index)).json.values).toEqual(later);
      // Erasing a shredded record's field changes nothing: it is erased already.
      const erase = await http(`${again.url}/v1/records/0/erase`, { method: 'POST', token: t.tokens['root'], body: JSON.stringify({ fields: ['tokens'], reason: 'r' }) });
      expect(erase.json).toMatchObject({ erased: [], already_erased: [{ field: 'tokens', erasure_index: 3 }] });
    } finally {
      await again.stop();
    }
  });

  it('tenant shred refuses a bad tenant and a missing log', async () => {
    expect((await cli(['tenant', 'shred', '--data', t.dir])).code).toBe(2);
    expect((await cli(['tenant', 'shred', '--data', t.dir, '--tenant', ''])).code).toBe(2);
    expect((await cli(['tenant', 'shred', '--data', join(t.dir, 'nope'), '--tenant', 'x'])).err).toMatch(/no log in/);
  });
});
