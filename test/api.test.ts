/**
 * The HTTP API over real HTTP on port 0 with a real LevelDB: PROTOCOL §4 and §5.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../src/client/receipt.js';
import { EMPTY_ROOT, hashLeaf, verifyConsistency, verifyInclusion } from '../src/merkle/index.js';
import { openCheckpoint, parseVerifierKey, verifyTreeHead } from '../src/note/index.js';
import { decodeLeaf } from '../src/record/index.js';
import { fromBase64, toBase64, utf8 } from '../src/util/bytes.js';
import { sha256 } from '../src/util/hash.js';
import { auditRecord, http, postRecord, startLog } from './harness.js';
import type { TestLog } from './harness.js';

const b64 = (s: string): Uint8Array => fromBase64(s)!;

describe('a fresh log', () => {
  let t: TestLog;
  beforeAll(async () => {
    t = await startLog();
  });
  afterAll(() => t.destroy());

  it('serves a signed empty checkpoint and STH', async () => {
    const cp = await http(`${t.url}/checkpoint`);
    expect(cp.status).toBe(200);
    expect(cp.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(cp.headers.get('cache-control')).toBe('no-store');
    const { checkpoint } = openCheckpoint(cp.text, parseVerifierKey(t.verifierKey));
    expect(checkpoint.size).toBe(0);
    expect(toBase64(checkpoint.rootHash)).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
    const sth = await http(`${t.url}/ct/v1/get-sth`);
    expect(sth.json).toMatchObject({ tree_size: 0, sha256_root_hash: toBase64(EMPTY_ROOT) });
  });

  it('refuses reads beyond the empty tree', async () => {
    expect((await http(`${t.url}/ct/v1/get-entries?start=0&end=0`)).json.error_code).toBe('startUnknown');
    expect((await http(`${t.url}/tile/0/000.p/1`)).status).toBe(404);
  });
});

describe('add-entry', () => {
  let t: TestLog;
  beforeAll(async () => {
    t = await startLog();
  });
  afterAll(() => t.destroy());

  it('returns a receipt that verifies offline against the record', async () => {
    const record = auditRecord(1);
    const reply = await postRecord(t, record);
    expect(reply.status).toBe(200);
    const receipt = reply.json;
    expect(Object.keys(receipt).sort()).toEqual(['audit_path', 'checkpoint', 'leaf_hash', 'leaf_index', 'leaf_input', 'salts', 'timestamp']);
    expect(Object.keys(receipt.salts).sort()).toEqual(Object.keys(record).sort());
    const v = verifyReceipt(receipt, utf8(JSON.stringify(record)), t.verifierKey);
    expect(v.leafIndex).toBe(receipt.leaf_index);
    expect(v.submitter).toBe('alice');
    const leaf = decodeLeaf(b64(receipt.leaf_input));
    expect(leaf).toMatchObject({ kind: 'record', submitter: 'alice', time: receipt.timestamp });
    expect(b64(receipt.leaf_input).length).toBeLessThan(100);
  });

  it('a receipt for a record above the default 1 MiB verifies (the limit is the server\'s setting)', async () => {
    const big = await startLog({ limits: { maxRecordBytes: 2 * 1024 * 1024 } });
    try {
      const record = { blob: 'z'.repeat(1_500_000) };
      const reply = await postRecord(big, record);
      expect(reply.status).toBe(200);
      verifyReceipt(reply.json, utf8(JSON.stringify(record)), big.verifierKey);
    } finally {
      await big.destroy();
    }
  });

  it('receipt verification fails when the record is altered', async () => {
    const record = auditRecord(2);
    const { json: receipt } = await postRecord(t, record);
    const altered = { ...record, cost_usd: 0.0124 };
    expect(() => verifyReceipt(receipt, utf8(JSON.stringify(altered)), t.verifierKey)).toThrow(/does not match the leaf/);
  });

  it('assigns distinct consecutive indices to concurrent submissions, all of which verify', async () => {
    const before = t.log.head.size;
    const records = Array.from({ length: 200 }, (_, i) => auditRecord(100 + i));
    const replies = await Promise.all(records.map((r, i) => postRecord(t, r, i % 2 ? t.tokens['alice'] : t.tokens['bob'])));
    const indices = replies.map((r) => r.json.leaf_index as number).sort((a, b) => a - b);
    expect(indices).toEqual(Array.from({ length: 200 }, (_, i) => before + i));
    replies.forEach((r, i) => verifyReceipt(r.json, utf8(JSON.stringify(records[i])), t.verifierKey));
    expect(t.log.head.size).toBe(before + 200);
  });

  it('requires a submitter token', async () => {
    const none = await postRecord(t, auditRecord(3), '');
    expect(none.status).toBe(401);
    expect(none.json.error_code).toBe('unauthorized');
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await postRecord(t, auditRecord(3), 'st_' + 'A'.repeat(43));
    expect(wrong.status).toBe(401);
    const auditor = await postRecord(t, auditRecord(3), t.tokens['carol']);
    expect(auditor.status).toBe(403);
    expect(auditor.json).toEqual({ error_code: 'forbidden', error_message: expect.stringMatching(/submitter/) });
  });

  it.each([
    ['not JSON', '{"a":', /./],
    ['an array', '[1]', /object/],
    ['an empty object', '{}', /1/],
    ['a duplicate name', '{"a":1,"a":2}', /duplicate/i],
    ['an escaped lone surrogate', '{"a":"\\ud800"}', /surrogate/i],
    ['an unsafe integer', '{"a":9007199254740993}', /string/i],
  ])('refuses %s with 400 malformed and says why', async (_, body, why) => {
    const size = t.log.head.size;
    const reply = await postRecord(t, body);
    expect(reply.status).toBe(400);
    expect(reply.json.error_code).toBe('malformed');
    expect(reply.json.error_message).toMatch(why);
    expect(t.log.head.size).toBe(size);
  });

  it('refuses 257 fields and accepts 256', async () => {
    const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]));
    expect((await postRecord(t, fields(256))).status).toBe(200);
    const reply = await postRecord(t, fields(257));
    expect(reply.status).toBe(400);
    expect(reply.json.error_message).toMatch(/256/);
  });

  it('refuses a record over the body limit with 413', async () => {
    const reply = await postRecord(t, { big: 'x'.repeat(1024 * 1024) });
    expect(reply.status).toBe(413);
    expect(reply.json.error_code).toBe('tooLarge');
  });

  it('refuses a chunked body (no Content-Length) once it passes the limit, and still answers 413', async () => {
    const chunk = new TextEncoder().encode('"' + 'y'.repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"big":'));
      },
      pull(controller) {
        if (sent++ < 40) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${t.url}/ct/v1/add-entry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.tokens['alice']}` },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error_message).toMatch(/larger than the limit of 1048576 bytes/);
  });
});

describe('idempotency', () => {
  let t: TestLog;
  beforeAll(async () => {
    t = await startLog();
  });
  afterAll(() => t.destroy());

  it('the same Idempotency-Key with the same record returns the original entry and logs nothing new', async () => {
    const record = { action: 'chat', n: 1 };
    const first = await postRecord(t, record, undefined, { 'idempotency-key': 'k-1' });
    const size = t.log.head.size;
    const again = await postRecord(t, { n: 1, action: 'chat' }, undefined, { 'idempotency-key': 'k-1' });
    expect(again.status).toBe(200);
    expect(again.json.leaf_index).toBe(first.json.leaf_index);
    expect(again.json.salts).toEqual(first.json.salts);
    expect(again.json.leaf_input).toBe(first.json.leaf_input);
    expect(t.log.head.size).toBe(size);
    verifyReceipt(again.json, utf8(JSON.stringify(record)), t.verifierKey);
  });

  it('the same key with a different record is 409', async () => {
    await postRecord(t, { v: 1 }, undefined, { 'idempotency-key': 'k-2' });
    const reply = await postRecord(t, { v: 2 }, undefined, { 'idempotency-key': 'k-2' });
    expect(reply.status).toBe(409);
    expect(reply.json.error_code).toBe('conflict');
  });

  it('event_id serves as the key, scoped to the submitter', async () => {
    const record = { event_id: 'e-1', v: 1 };
    const a1 = await postRecord(t, record);
    const a2 = await postRecord(t, record);
    const b1 = await postRecord(t, record, t.tokens['bob']);
    expect(a2.json.leaf_index).toBe(a1.json.leaf_index);
    expect(b1.json.leaf_index).not.toBe(a1.json.leaf_index);
    expect((await postRecord(t, { event_id: 'e-1', v: 2 })).status).toBe(409);
  });

  it('concurrent repeats of one key yield exactly one entry', async () => {
    const size = t.log.head.size;
    const replies = await Promise.all(Array.from({ length: 20 }, () => postRecord(t, { event_id: 'e-race', v: 7 })));
    expect(new Set(replies.map((r) => r.json.leaf_index)).size).toBe(1);
    expect(t.log.head.size).toBe(size + 1);
  });
});

describe('add-entries', () => {
  let t: TestLog;
  beforeAll(async () => {
    t = await startLog();
  });
  afterAll(() => t.destroy());
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    http(`${t.url}/ct/v1/add-entries`, { method: 'POST', token: t.tokens['alice'], headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('returns receipts in order, each verifying', async () => {
    const records = Array.from({ length: 50 }, (_, i) => auditRecord(i));
    const reply = await post(records);
    expect(reply.status).toBe(200);
    expect(reply.json.receipts).toHaveLength(50);
    reply.json.receipts.forEach((r: any, i: number) => {
      expect(r.leaf_index).toBe(i);
      verifyReceipt(r, utf8(JSON.stringify(records[i])), t.verifierKey);
    });
  });

  it('is all or nothing: one bad record refuses the batch and names it', async () => {
    const size = t.log.head.size;
    const reply = await post(`[{"a":1},{"b":2},{"c":1,"c":2}]`);
    expect(reply.status).toBe(400);
    expect(reply.json.error_message).toMatch(/record 2/);
    expect(t.log.head.size).toBe(size);
  });

  it('is all or nothing on an event_id conflict, naming the record', async () => {
    await post([{ event_id: 'x', v: 1 }]);
    const size = t.log.head.size;
    const reply = await post([{ event_id: 'y', v: 1 }, { event_id: 'x', v: 2 }]);
    expect(reply.status).toBe(409);
    expect(reply.json.error_message).toMatch(/record 1/);
    expect(t.log.head.size).toBe(size);
  });

  it('names the record even in a batch of one', async () => {
    await post([{ event_id: 'solo', v: 1 }]);
    const reply = await post([{ event_id: 'solo', v: 2 }]);
    expect(reply.status).toBe(409);
    expect(reply.json.error_message).toMatch(/^record 0: /);
  });

  it('refuses a record in a batch over the per-record limit with 413, naming it', async () => {
    const reply = await post([{ a: 1 }, { big: 'x'.repeat(1024 * 1024) }]);
    expect(reply.status).toBe(413);
    expect(reply.json.error_code).toBe('tooLarge');
    expect(reply.json.error_message).toMatch(/^record 1: /);
  });

  it('refuses more than 1000 records and an Idempotency-Key header', async () => {
    expect((await post(Array.from({ length: 1001 }, () => ({ a: 1 })))).status).toBe(400);
    expect((await post([]).then((r) => r.status))).toBe(400);
    const keyed = await post([{ a: 1 }], { 'idempotency-key': 'k' });
    expect(keyed.status).toBe(400);
    expect(keyed.json.error_message).toMatch(/event_id/);
  });
});

describe('reads: proofs, entries, tiles', () => {
  let t: TestLog;
  let receipts: any[] = [];
  let records: Record<string, unknown>[] = [];
  beforeAll(async () => {
    t = await startLog();
    // 700 entries: more than two full level-0 tiles, in several passes.
    for (let pass = 0; pass < 7; pass++) {
      const batch = Array.from({ length: 100 }, (_, i) => auditRecord(pass * 100 + i));
      const reply = await http(`${t.url}/ct/v1/add-entries`, { method: 'POST', token: t.tokens['alice'], body: JSON.stringify(batch) });
      receipts.push(...reply.json.receipts);
      records.push(...batch);
    }
  });
  afterAll(() => t.destroy());

  it('get-sth is signed, and agrees with the checkpoint', async () => {
    const sth = (await http(`${t.url}/ct/v1/get-sth`)).json;
    expect(sth.tree_size).toBe(700);
    const verifier = parseVerifierKey(t.verifierKey);
    const sig = b64(sth.tree_head_signature);
    expect([sig[0], sig[1]]).toEqual([0x08, 0x07]);
    expect(verifyTreeHead(verifier, sth.timestamp, sth.tree_size, b64(sth.sha256_root_hash), sig)).toBe(true);
    expect(verifyTreeHead(verifier, sth.timestamp + 1, sth.tree_size, b64(sth.sha256_root_hash), sig)).toBe(false);
    const { checkpoint } = openCheckpoint((await http(`${t.url}/checkpoint`)).text, verifier);
    expect(toBase64(checkpoint.rootHash)).toBe(sth.sha256_root_hash);
  });

  it('get-sth-consistency proves each earlier receipt checkpoint consistent with the latest', async () => {
    const verifier = parseVerifierKey(t.verifierKey);
    const latest = openCheckpoint((await http(`${t.url}/checkpoint`)).text, verifier).checkpoint;
    const seen = new Map<number, Uint8Array>();
    for (const r of receipts) {
      const cp = openCheckpoint(r.checkpoint, verifier).checkpoint;
      seen.set(cp.size, cp.rootHash);
    }
    expect(seen.size).toBeGreaterThanOrEqual(7);
    for (const [size, root] of seen) {
      const proof = (await http(`${t.url}/ct/v1/get-sth-consistency?first=${size}&second=700`)).json.consistency.map(b64);
      verifyConsistency(size, 700, root, latest.rootHash, proof);
    }
    expect((await http(`${t.url}/ct/v1/get-sth-consistency?first=0&second=700`)).json.consistency).toEqual([]);
    expect((await http(`${t.url}/ct/v1/get-sth-consistency?first=700&second=700`)).json.consistency).toEqual([]);
  });

  it('get-sth-consistency refuses bad sizes with the RFC 9162 codes', async () => {
    const q = async (s: string) => (await http(`${t.url}/ct/v1/get-sth-consistency?${s}`)).json.error_code;
    expect(await q('first=701&second=701')).toBe('firstUnknown');
    expect(await q('first=1&second=701')).toBe('secondUnknown');
    expect(await q('first=5&second=4')).toBe('secondBeforeFirst');
    expect(await q('first=-1&second=4')).toBe('malformed');
    expect(await q('first=01&second=4')).toBe('malformed');
    expect(await q('first=1&first=2&second=4')).toBe('malformed');
    expect(await q('second=4')).toBe('malformed');
    expect(await q('first=9007199254740992&second=4')).toBe('malformed');
  });

  it('get-proof-by-hash and get-entry-and-proof prove inclusion in any tree size', async () => {
    for (const index of [0, 1, 255, 256, 511, 600, 699]) {
      const leafHash = b64(receipts[index].leaf_hash);
      for (const treeSize of [index + 1, 700]) {
        const sthRoot = await rootAt(treeSize);
        const byHash = (await http(`${t.url}/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(receipts[index].leaf_hash)}&tree_size=${treeSize}`)).json;
        expect(byHash.leaf_index).toBe(index);
        verifyInclusion(index, treeSize, leafHash, byHash.audit_path.map(b64), sthRoot);
        const ep = (await http(`${t.url}/ct/v1/get-entry-and-proof?leaf_index=${index}&tree_size=${treeSize}`)).json;
        expect(ep.leaf_input).toBe(receipts[index].leaf_input);
        expect(ep.extra_data).toBe('');
        verifyInclusion(index, treeSize, hashLeaf(b64(ep.leaf_input)), ep.audit_path.map(b64), sthRoot);
      }
    }
  });

  /** The root of the tree of `size`, computed independently from the entries themselves. */
  async function rootAt(size: number): Promise<Uint8Array> {
    const hashes = receipts.slice(0, size).map((r) => hashLeaf(b64(r.leaf_input)));
    const mth = (a: Uint8Array[]): Uint8Array => {
      if (a.length === 1) return a[0]!;
      let k = 1;
      while (k * 2 < a.length) k *= 2;
      return sha256(Uint8Array.of(1), mth(a.slice(0, k)), mth(a.slice(k)));
    };
    return mth(hashes);
  }

  it('get-proof-by-hash: unknown hash is 404, tree sizes are checked', async () => {
    const unknown = toBase64(sha256(utf8('nope')));
    const r = await http(`${t.url}/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(unknown)}&tree_size=700`);
    expect(r.status).toBe(404);
    expect(r.json.error_code).toBe('hashUnknown');
    const later = await http(`${t.url}/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(receipts[600].leaf_hash)}&tree_size=600`);
    expect(later.status).toBe(404);
    expect((await http(`${t.url}/ct/v1/get-proof-by-hash?hash=abc&tree_size=1`)).json.error_code).toBe('malformed');
    expect((await http(`${t.url}/ct/v1/get-proof-by-hash?hash=${encodeURIComponent(receipts[0].leaf_hash)}&tree_size=701`)).json.error_code).toBe('treeSizeUnknown');
  });

  it('get-entries returns inclusive ranges, clipped to the tree', async () => {
    const r = (await http(`${t.url}/ct/v1/get-entries?start=10&end=12`)).json;
    expect(r.entries.map((e: any) => e.leaf_input)).toEqual(receipts.slice(10, 13).map((x) => x.leaf_input));
    const clipped = (await http(`${t.url}/ct/v1/get-entries?start=690&end=5000`)).json;
    expect(clipped.entries).toHaveLength(10);
    expect((await http(`${t.url}/ct/v1/get-entries?start=5&end=4`)).json.error_code).toBe('endBeforeStart');
    expect((await http(`${t.url}/ct/v1/get-entries?start=700&end=800`)).json.error_code).toBe('startUnknown');
  });

  it('tiles rebuild the tree: the root from tiles equals the checkpoint root', async () => {
    const get = async (path: string) => {
      const res = await fetch(`${t.url}/${path}`);
      return { status: res.status, cache: res.headers.get('cache-control'), type: res.headers.get('content-type'), bytes: new Uint8Array(await res.arrayBuffer()) };
    };
    const t0 = await get('tile/0/000');
    expect(t0).toMatchObject({ status: 200, cache: 'public, max-age=31536000, immutable', type: 'application/octet-stream' });
    expect(t0.bytes.length).toBe(256 * 32);
    const t1 = await get('tile/0/001');
    const t2 = await get('tile/0/002.p/188');
    expect(t2.bytes.length).toBe(188 * 32);
    expect((await get('tile/0/002.p/189')).status).toBe(404);
    expect((await get('tile/0/002')).status).toBe(404);
    const leafHashes = [t0.bytes, t1.bytes, t2.bytes].flatMap((b) => Array.from({ length: b.length / 32 }, (_, i) => b.subarray(i * 32, i * 32 + 32)));
    expect(leafHashes.map(toBase64)).toEqual(receipts.map((r) => r.leaf_hash));
    const level1 = await get('tile/1/000.p/2');
    expect(level1.bytes.length).toBe(64);
    expect(toBase64(level1.bytes.subarray(0, 32))).toBe(toBase64(await subtreeRoot(0, 256)));
    async function subtreeRoot(from: number, to: number): Promise<Uint8Array> {
      let level: Uint8Array[] = leafHashes.slice(from, to);
      while (level.length > 1) level = Array.from({ length: level.length / 2 }, (_, i) => sha256(Uint8Array.of(1), level[2 * i]!, level[2 * i + 1]!));
      return level[0]!;
    }
    expect((await get('tile/0/x001/000')).status).toBe(404);
    expect((await get('tile/0/02')).status).toBe(404);
    expect((await get('tile/0/000.p/0')).status).toBe(404);
  });

  it('entry bundles hold each leaf_input with a uint16 length prefix', async () => {
    const res = await fetch(`${t.url}/tile/entries/002.p/10`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const leafInputs: string[] = [];
    for (let off = 0; off < bytes.length; ) {
      const len = bytes.readUInt16BE(off);
      leafInputs.push(bytes.subarray(off + 2, off + 2 + len).toString('base64'));
      off += 2 + len;
    }
    expect(leafInputs).toEqual(receipts.slice(512, 522).map((r) => r.leaf_input));
    expect((await fetch(`${t.url}/tile/entries/000`)).status).toBe(200);
    expect((await fetch(`${t.url}/tile/entries/003.p/1`)).status).toBe(404);
  });

  it('/v1/log describes the log', async () => {
    const info = (await http(`${t.url}/v1/log`)).json;
    expect(info).toMatchObject({ origin: 'test.example/log', verifier_key: t.verifierKey, tree_size: 700, witnesses: [] });
    expect(b64(info.log_id).length).toBe(32);
  });

  it('health endpoints answer, unknown paths are 404 with the error body', async () => {
    expect((await http(`${t.url}/healthz`)).status).toBe(200);
    expect((await http(`${t.url}/readyz`)).json).toMatchObject({ status: 'ready', tree_size: 700 });
    const nf = await http(`${t.url}/nope`);
    expect(nf.status).toBe(404);
    expect(nf.json.error_code).toBe('notFound');
  });

  it('each receipt still verifies', () => {
    receipts.forEach((r, i) => verifyReceipt(r, utf8(JSON.stringify(records[i])), t.verifierKey));
  });
});
