/**
 * Erasure (PROTOCOL §6, issue 4 item 3) over real HTTP with a real LevelDB: values and salts leave
 * the store and every file on disk; commitments stay; every proof and the other fields still verify.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../src/client/receipt.js';
import { hashLeaf, verifyInclusion } from '../src/merkle/index.js';
import { openCheckpoint, parseVerifierKey } from '../src/note/index.js';
import { decodeLeaf } from '../src/record/index.js';
import { decodeDcbor } from '../src/record/cbor.js';
import type { Dcbor } from '../src/record/cbor.js';
import { recordKey } from '../src/storage/keys.js';
import { fromBase64, utf8 } from '../src/util/bytes.js';
import { http, postRecord, startLog } from './harness.js';
import { filesContaining } from './harness.js';
import type { TestLog } from './harness.js';

const b64 = (s: string): Uint8Array => fromBase64(s)!;


/** 32 bytes from the middle of entry `index`'s sealed record value, as the store holds it now. */
async function sealedPart(t: TestLog, index: number): Promise<Buffer> {
  const db = (t.store as unknown as { db: { get(key: Buffer): Promise<Buffer | undefined> } }).db;
  const stored = decodeDcbor((await db.get(recordKey(index)))!) as Dcbor[];
  const sealed = Buffer.from(stored[3] as Uint8Array);
  expect(sealed.length).toBeGreaterThan(64);
  return sealed.subarray(16, 48);
}

describe('erasure', () => {
  let t: TestLog;
  const marker = `person-${randomBytes(8).toString('hex')}@example.com`;
  const record = { event_id: 'chat-1', tenant_id: 'acme', user_email: marker, model: 'gpt-5.1', tokens: 812 };
  let receipt: any;
  const erase = (index: number, body: unknown, token = t.tokens['root']) =>
    http(`${t.url}/v1/records/${index}/erase`, { method: 'POST', token, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const read = async (index: number) => (await http(`${t.url}/v1/records/${index}`, { token: t.tokens['carol'] })).json;

  beforeAll(async () => {
    t = await startLog({ principals: { alice: 'submitter', carol: 'auditor', root: 'admin' } });
    receipt = (await postRecord(t, record)).json;
  });
  afterAll(() => t.destroy());

  // Records are encrypted at rest (test/encryption.test.ts), so the plaintext marker is never on
  // disk; what erasure must remove from the files is the record's earlier ciphertext, which anyone
  // holding the master key could otherwise still open.
  let sealedBefore: Buffer;
  it('the record\'s ciphertext is on disk before the erasure (so the check below can fail)', async () => {
    expect(await filesContaining(t.dir, marker)).toEqual([]);
    sealedBefore = await sealedPart(t, 0);
    expect(await filesContaining(t.dir, sealedBefore)).not.toEqual([]);
  });

  it('erases a field: an erasure entry is appended, values and salts go, the commitment stays', async () => {
    const reply = await erase(0, { fields: ['user_email'], reason: 'GDPR Art. 17 request 2026-118' });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ target_index: 0, erasure_index: 1, erased: ['user_email'], already_erased: [] });

    // The erasure entry is a leaf of kind "erasure" by the log itself, and its receipt verifies.
    const erasureRecord = { target_index: 0, fields: ['user_email'], reason: 'GDPR Art. 17 request 2026-118', requested_by: 'root' };
    verifyReceipt(reply.json.erasure, utf8(JSON.stringify(erasureRecord)), t.verifierKey);
    const leaf = decodeLeaf(b64(reply.json.erasure.leaf_input));
    expect(leaf.kind).toBe('erasure');
    expect(leaf.submitter).toBe(t.log.origin);

    const after = await read(0);
    expect(after.values).toEqual({ event_id: 'chat-1', tenant_id: 'acme', model: 'gpt-5.1', tokens: 812 });
    expect(Object.keys(after.salts).sort()).toEqual(['event_id', 'model', 'tenant_id', 'tokens']);
    expect(after.erased).toEqual({ user_email: { commitment: expect.any(String), erasure_index: 1 } });
    // The remaining fields still verify against the unchanged leaf, through the erased field's commitment.
    expect(after.leaf_input).toBe(receipt.leaf_input);
    verifyReceipt(after, utf8(JSON.stringify(after.values)), t.verifierKey);
    // A value put back under the erased name does not verify.
    expect(() => verifyReceipt(after, utf8(JSON.stringify({ ...after.values, user_email: marker })), t.verifierKey)).toThrow();
  });

  it('the erased value, and the ciphertext that held it, are in no file of the data directory', async () => {
    expect(await filesContaining(t.dir, marker)).toEqual([]);
    expect(await filesContaining(t.dir, sealedBefore)).toEqual([]);
  });

  it('every proof still verifies: the original receipt, and entry 0 in the grown tree', async () => {
    verifyReceipt(receipt, utf8(JSON.stringify(record)), t.verifierKey);
    const head = openCheckpoint((await http(`${t.url}/checkpoint`)).text, parseVerifierKey(t.verifierKey)).checkpoint;
    const ep = (await http(`${t.url}/ct/v1/get-entry-and-proof?leaf_index=0&tree_size=${head.size}`)).json;
    verifyInclusion(0, head.size, hashLeaf(b64(ep.leaf_input)), ep.audit_path.map(b64), head.rootHash);
  });

  it('erasing an erased field again changes nothing', async () => {
    const size = t.log.head.size;
    const reply = await erase(0, { fields: ['user_email'], reason: 'again' });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ target_index: 0, erasure_index: 1, erased: [], already_erased: [{ field: 'user_email', erasure_index: 1 }], erasure: null });
    expect(t.log.head.size).toBe(size);
  });

  it('erases only what is still open when some fields already are erased', async () => {
    const reply = await erase(0, { fields: ['user_email', 'model'], reason: 'minimise' });
    expect(reply.json).toMatchObject({ erased: ['model'], already_erased: [{ field: 'user_email', erasure_index: 1 }] });
    const after = await read(0);
    expect(Object.keys(after.erased).sort()).toEqual(['model', 'user_email']);
    verifyReceipt(after, utf8(JSON.stringify(after.values)), t.verifierKey);
  });

  it('concurrent erasures of one field append one erasure entry', async () => {
    await postRecord(t, { who: 'x', what: 'y' });
    const target = t.log.head.size - 1;
    const size = t.log.head.size;
    const replies = await Promise.all(Array.from({ length: 5 }, () => erase(target, { fields: ['who'], reason: 'r' })));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(replies.filter((r) => r.json.erased.length === 1)).toHaveLength(1);
    expect(t.log.head.size).toBe(size + 1);
  });

  it('is refused with a clear error for the wrong role or a bad request', async () => {
    expect((await erase(0, { fields: ['tokens'], reason: 'r' }, t.tokens['carol'])).status).toBe(403);
    expect((await erase(0, { fields: ['tokens'], reason: 'r' }, t.tokens['alice'])).status).toBe(403);
    const cases: [number, unknown, number, RegExp][] = [
      [0, { fields: ['nope'], reason: 'r' }, 400, /has no field "nope"/],
      [0, { fields: ['tenant_id'], reason: 'r' }, 400, /tenant_id cannot be erased/],
      [0, { fields: [], reason: 'r' }, 400, /"fields" must be/],
      [0, { fields: ['tokens'] }, 400, /"reason" must be/],
      [0, { fields: ['tokens'], reason: 'r', extra: 1 }, 400, /unknown member "extra"/],
      [0, '{"fields":["tokens"],"fields":["tokens"]}', 400, /duplicate/],
      [1, { fields: ['reason'], reason: 'r' }, 400, /is an erasure entry/],
      [999, { fields: ['tokens'], reason: 'r' }, 404, /no record at index 999/],
    ];
    for (const [index, body, status, message] of cases) {
      const reply = await erase(index, body);
      expect(reply.status, JSON.stringify(body)).toBe(status);
      expect(reply.json.error_message).toMatch(message);
    }
  });

  it('stays erased after a restart', async () => {
    await t.stop();
    const again = await startLog({ dir: t.dir });
    try {
      const after = (await http(`${again.url}/v1/records/0`, { token: t.tokens['carol'] })).json;
      expect(Object.keys(after.erased).sort()).toEqual(['model', 'user_email']);
      verifyReceipt(after, utf8(JSON.stringify(after.values)), t.verifierKey);
    } finally {
      await again.stop();
    }
  });
});
