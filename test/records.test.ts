/**
 * Record reads (issue 4 item 2) over real HTTP on a real LevelDB: roles, tenant scopes (a record of
 * another tenant reads exactly as a missing one), lookup by event_id, and offline verification of
 * what an auditor reads with the receipt check alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../src/client/receipt.js';
import { utf8 } from '../src/util/bytes.js';
import { auditRecord, http, postRecord, startLog } from './harness.js';
import type { Reply, TestLog } from './harness.js';

describe('GET /v1/records', () => {
  let t: TestLog;
  /** Receipts of the entries logged in beforeAll, with their records. */
  const logged: { record: Record<string, unknown>; receipt: any }[] = [];

  const get = (path: string, token?: string): Promise<Reply> => http(`${t.url}${path}`, token === undefined ? {} : { token });

  beforeAll(async () => {
    t = await startLog({
      principals: {
        alice: 'submitter',
        bob: 'submitter',
        carol: 'auditor',
        dave: { role: 'auditor', tenants: ['tenant-a'] },
        erin: { role: 'auditor', tenants: ['tenant-b', 'tenant-c'] },
        root: 'admin',
      },
    });
    const records = [
      auditRecord(0, { event_id: 'evt-a', tenant_id: 'tenant-a' }), // 0
      auditRecord(1, { event_id: 'evt-b', tenant_id: 'tenant-b' }), // 1
      { event_id: 'evt-none', model: 'gpt-5.1', n: 1.5, nested: { z: [1, 'two', null], a: true } }, // 2: no tenant
      auditRecord(3, { event_id: 'evt-shared', tenant_id: 'tenant-a' }), // 3
      // 4: event_id not a string; a field named "__proto__" and integer-like names (JS objects reorder those).
      '{"__proto__":"kept","event_id":7,"tenant_id":"tenant-a","10":"ten","2":"two"}',
    ];
    for (const record of records) {
      const body = typeof record === 'string' ? record : JSON.stringify(record);
      const res = await postRecord(t, body);
      expect(res.status, res.text).toBe(200);
      logged.push({ record: JSON.parse(body) as Record<string, unknown>, receipt: res.json });
    }
    // The same event_id from another submitter (and tenant): idempotency is per submitter, the index is not.
    const shared = auditRecord(5, { event_id: 'evt-shared', tenant_id: 'tenant-b' });
    const res = await postRecord(t, shared, t.tokens['bob']!);
    expect(res.status).toBe(200);
    logged.push({ record: shared, receipt: res.json });
  });
  afterAll(() => t.destroy());

  it('an auditor reads a record by index: values, salts, leaf and a proof into the current checkpoint', async () => {
    const res = await get('/v1/records/1', t.tokens['carol']);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { receipt, record } = logged[1]!;
    expect(res.json).toMatchObject({
      leaf_index: 1,
      timestamp: receipt.timestamp,
      leaf_hash: receipt.leaf_hash,
      leaf_input: receipt.leaf_input,
      salts: receipt.salts,
      kind: 'record',
      submitter: 'alice',
      values: record,
      erased: {},
    });
    expect(res.json.checkpoint).toBe(t.log.head.checkpoint);
    expect(res.json.checkpoint).toContain(`\n${logged.length}\n`);
  });

  it('what an auditor reads verifies offline with the receipt check, for every entry', async () => {
    for (let i = 0; i < logged.length; i++) {
      const res = await get(`/v1/records/${i}`, t.tokens['root']);
      expect(res.status, res.text).toBe(200);
      const verified = verifyReceipt(res.json, utf8(JSON.stringify(res.json.values)), t.verifierKey);
      expect(verified).toMatchObject({ leafIndex: i, treeSize: logged.length, submitter: i === 5 ? 'bob' : 'alice' });
      expect(res.json.values).toEqual(logged[i]!.record);
    }
    // A field named "__proto__" and integer-like names survive the round trip as fields.
    const odd = await get('/v1/records/4', t.tokens['carol']);
    expect(Object.keys(odd.json.values).sort()).toEqual(['10', '2', '__proto__', 'event_id', 'tenant_id']);
    // A changed value does not verify.
    const tampered = { ...odd.json.values, '10': 'eleven' };
    expect(() => verifyReceipt(odd.json, utf8(JSON.stringify(tampered)), t.verifierKey)).toThrow(/does not match the leaf/);
  });

  it('a submitter cannot read records (403); an auditor cannot submit (403); no token is 401', async () => {
    const submitter = await get('/v1/records/0', t.tokens['alice']);
    expect(submitter.status).toBe(403);
    expect(submitter.json).toEqual({ error_code: 'forbidden', error_message: 'this endpoint needs the role auditor or admin; the token has the role submitter' });
    expect((await get('/v1/records?event_id=evt-a', t.tokens['alice'])).status).toBe(403);
    expect((await postRecord(t, { a: 1 }, t.tokens['carol'])).status).toBe(403);
    expect((await postRecord(t, { a: 1 }, t.tokens['dave'])).status).toBe(403);
    const anonymous = await get('/v1/records/0');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('a bad index is 400 malformed; an index beyond the tree is 404 notFound', async () => {
    for (const bad of ['x', '-1', '01', '1.0', '9007199254740992', '%20']) {
      const res = await get(`/v1/records/${bad}`, t.tokens['carol']);
      expect(res.status, bad).toBe(400);
      expect(res.json.error_code).toBe('malformed');
    }
    const beyond = await get(`/v1/records/${logged.length}`, t.tokens['carol']);
    expect(beyond.status).toBe(404);
    expect(beyond.json).toEqual({ error_code: 'notFound', error_message: `no record at index ${logged.length} in the published tree (size ${logged.length})` });
    expect((await get('/v1/records', t.tokens['carol'])).json.error_code).toBe('malformed');
    expect((await get('/v1/records?event_id=a&event_id=b', t.tokens['carol'])).json.error_code).toBe('malformed');
  });

  it('a scoped auditor reads its tenants only: another tenant, or no tenant, reads exactly as a missing index', async () => {
    expect((await get('/v1/records/0', t.tokens['dave'])).status).toBe(200);
    expect((await get('/v1/records/3', t.tokens['dave'])).status).toBe(200);
    const missing = await get('/v1/records/99', t.tokens['dave']);
    expect(missing.status).toBe(404);
    for (const hidden of [1, 2, 5]) {
      const res = await get(`/v1/records/${hidden}`, t.tokens['dave']);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe(missing.headers.get('content-type'));
      expect(res.text.replace(`index ${hidden}`, 'index 99')).toBe(missing.text);
    }
    // A token of two tenants reads both, and nothing else.
    expect((await get('/v1/records/1', t.tokens['erin'])).status).toBe(200);
    expect((await get('/v1/records/5', t.tokens['erin'])).status).toBe(200);
    expect((await get('/v1/records/0', t.tokens['erin'])).status).toBe(404);
  });

  it('by event_id: every record with it, in log order, within the token scope', async () => {
    const all = await get('/v1/records?event_id=evt-shared', t.tokens['carol']);
    expect(all.status, all.text).toBe(200);
    expect(all.headers.get('cache-control')).toBe('no-store');
    expect(all.json.records.map((r: any) => [r.leaf_index, r.submitter])).toEqual([
      [3, 'alice'],
      [5, 'bob'],
    ]);
    for (const r of all.json.records) verifyReceipt(r, utf8(JSON.stringify(r.values)), t.verifierKey);

    const scoped = await get('/v1/records?event_id=evt-shared', t.tokens['dave']);
    expect(scoped.json.records.map((r: any) => r.leaf_index)).toEqual([3]);
    const encoded = await get(`/v1/records?event_id=${encodeURIComponent('evt-a')}`, t.tokens['root']);
    expect(encoded.json.records.map((r: any) => r.leaf_index)).toEqual([0]);
    // Only a top-level *string* event_id is indexed.
    expect((await get('/v1/records?event_id=7', t.tokens['carol'])).status).toBe(404);
  });

  it('by event_id, a scoped auditor gets the same 404 for another tenant\'s event_id as for an unknown one', async () => {
    const unknown = await get('/v1/records?event_id=evt-zzzz', t.tokens['dave']);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error_code).toBe('notFound');
    for (const hidden of ['evt-b', 'evt-none']) {
      const res = await get(`/v1/records?event_id=${hidden}`, t.tokens['dave']);
      expect(res.status).toBe(404);
      expect(res.text.replace(hidden, 'evt-zzzz')).toBe(unknown.text);
    }
    // The unscoped auditor can read them.
    expect((await get('/v1/records?event_id=evt-b', t.tokens['carol'])).json.records).toHaveLength(1);
    expect((await get('/v1/records?event_id=evt-none', t.tokens['carol'])).json.records).toHaveLength(1);
  });

  it('the event_id index survives a restart, and entries logged after it are indexed too', async () => {
    const tokens = t.tokens;
    const dir = t.dir;
    await t.stop();
    t = await startLog({ dir });
    const later = auditRecord(6, { event_id: 'evt-shared', tenant_id: 'tenant-a' });
    expect((await postRecord(t, later, tokens['alice'], { 'idempotency-key': 'another-key' })).status).toBe(200);
    const res = await http(`${t.url}/v1/records?event_id=evt-shared`, { token: tokens['dave']! });
    expect(res.status, res.text).toBe(200);
    expect(res.json.records.map((r: any) => r.leaf_index)).toEqual([3, 6]);
    for (const r of res.json.records) verifyReceipt(r, utf8(JSON.stringify(r.values)), t.verifierKey);
    expect(res.json.records[1].values).toEqual(later);
  });
});
