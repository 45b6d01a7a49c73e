/**
 * End to end: the CLI as a real process, 1,000 records from concurrent clients (single and
 * batched), a restart, and every receipt checked against the restarted log.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../src/client/receipt.js';
import { verifyConsistency, verifyInclusion, hashLeaf } from '../src/merkle/index.js';
import { openCheckpoint, parseVerifierKey } from '../src/note/index.js';
import { fromBase64, utf8 } from '../src/util/bytes.js';
import { auditRecord, tempDir } from './harness.js';
import { run, serve } from './process.js';
import type { Server } from './process.js';

const b64 = (s: string): Uint8Array => fromBase64(s)!;

describe('sealtrail serve, end to end', () => {
  let dir: { path: string; remove(): Promise<void> };
  let server: Server | undefined;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    if (server) await server.stop('SIGKILL');
    await dir.remove();
  });

  it('logs 1,000 concurrent records, survives a restart, and every receipt verifies', async () => {
    const data = join(dir.path, 'data');
    server = await serve(['--data', data]);
    expect(server.banner).toMatch(/created a new log/);
    const token = /(st_[A-Za-z0-9_-]{43})/.exec(server.banner)![1]!;
    const vkey = /verifier key: (\S+)/.exec(server.banner)![1]!;
    const verifier = parseVerifierKey(vkey);
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${server!.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
      return res.json() as Promise<any>;
    };

    // 500 single add-entry requests from 16 concurrent clients, and 5 batches of 100 at the same time.
    const singles = Array.from({ length: 500 }, (_, i) => auditRecord(i));
    const batches = Array.from({ length: 5 }, (_, b) => Array.from({ length: 100 }, (_, i) => auditRecord(1000 + b * 100 + i)));
    const receipts: { receipt: any; record: unknown }[] = [];
    const clients = Array.from({ length: 16 }, async (_, c) => {
      for (let i = c; i < singles.length; i += 16) receipts.push({ receipt: await post('/ct/v1/add-entry', singles[i]), record: singles[i] });
    });
    const batchPosts = batches.map(async (batch) => {
      const { receipts: rs } = await post('/ct/v1/add-entries', batch);
      rs.forEach((r: any, i: number) => receipts.push({ receipt: r, record: batch[i] }));
    });
    await Promise.all([...clients, ...batchPosts]);
    expect(receipts).toHaveLength(1000);
    expect(new Set(receipts.map((r) => r.receipt.leaf_index)).size).toBe(1000);

    const before = await (await fetch(`${server.url}/checkpoint`)).text();
    const old = openCheckpoint(before, verifier).checkpoint;
    expect(old.size).toBe(1000);

    // SIGTERM: the server finishes, closes the store and exits 0.
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.output()).toMatch(/stopped at tree size 1000/);

    server = await serve(['--data', data]);
    expect(server.banner).not.toMatch(/created a new log/);
    expect(await (await fetch(`${server.url}/checkpoint`)).text()).toBe(before);
    const more = await post('/ct/v1/add-entry', auditRecord(5000));
    expect(more.leaf_index).toBe(1000);
    const latest = openCheckpoint(more.checkpoint, verifier).checkpoint;

    // The new checkpoint is consistent with the one before the restart…
    const { consistency } = (await (await fetch(`${server.url}/ct/v1/get-sth-consistency?first=1000&second=${latest.size}`)).json()) as any;
    verifyConsistency(1000, latest.size, old.rootHash, latest.rootHash, consistency.map(b64));

    // …every receipt verifies offline, and is in the restarted log at its index.
    for (const { receipt, record } of receipts) {
      verifyReceipt(receipt, utf8(JSON.stringify(record)), vkey);
    }
    for (const { receipt } of receipts.filter((_, i) => i % 50 === 0)) {
      const res = (await (await fetch(`${server.url}/ct/v1/get-entry-and-proof?leaf_index=${receipt.leaf_index}&tree_size=${latest.size}`)).json()) as any;
      expect(res.leaf_input).toBe(receipt.leaf_input);
      verifyInclusion(receipt.leaf_index, latest.size, hashLeaf(b64(res.leaf_input)), res.audit_path.map(b64), latest.rootHash);
    }

    // The CLI verifies a receipt with nothing but the files and the key, and says what failed.
    const files = join(dir.path, 'files');
    await mkdir(files);
    const sample = receipts[123]!;
    await writeFile(join(files, 'receipt.json'), JSON.stringify(sample.receipt));
    await writeFile(join(files, 'record.json'), JSON.stringify(sample.record));
    await writeFile(join(files, 'tampered.json'), JSON.stringify({ ...(sample.record as object), model: 'gpt-4' }));
    const ok = await run(['verify-receipt', '--vkey', join(data, 'log.vkey'), join(files, 'receipt.json'), join(files, 'record.json')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^OK: .* entry ${sample.receipt.leaf_index} of `));
    const bad = await run(['verify-receipt', '--vkey', vkey, join(files, 'receipt.json'), join(files, 'tampered.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^FAIL leaf: the record .* does not match the leaf/);

    expect(await server.stop('SIGINT')).toBe(0);
    server = undefined;
  });

  it('loses no acknowledged entry when killed with SIGKILL under load', async () => {
    const data = join(dir.path, 'killed');
    server = await serve(['--data', data]);
    const token = /(st_[A-Za-z0-9_-]{43})/.exec(server.banner)![1]!;
    const vkey = /verifier key: (\S+)/.exec(server.banner)![1]!;
    const verifier = parseVerifierKey(vkey);
    const url = server.url;
    const acknowledged: any[] = [];
    let killed = false;
    const client = async (c: number) => {
      for (let i = 0; !killed; i++) {
        try {
          const res = await fetch(`${url}/ct/v1/add-entry`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}` },
            body: JSON.stringify(auditRecord(c * 100_000 + i)),
          });
          if (res.status === 200) acknowledged.push(await res.json());
        } catch {
          // The connection died with the server: this request was never acknowledged.
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    while (acknowledged.length < 300) await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGKILL');
    killed = true;
    await Promise.all(clients);

    server = await serve(['--data', data]);
    const sth = (await (await fetch(`${server.url}/ct/v1/get-sth`)).json()) as any;
    expect(new Set(acknowledged.map((r) => r.leaf_index)).size).toBe(acknowledged.length);
    const latest = openCheckpoint(await (await fetch(`${server.url}/checkpoint`)).text(), verifier).checkpoint;
    expect(latest.size).toBe(sth.tree_size);
    const checkpoints = new Map<number, Uint8Array>();
    for (const r of acknowledged) {
      expect(r.leaf_index).toBeLessThan(latest.size);
      const cp = openCheckpoint(r.checkpoint, verifier).checkpoint;
      checkpoints.set(cp.size, cp.rootHash);
    }
    // Every checkpoint handed out before the kill is consistent with the one after the restart…
    for (const [size, root] of checkpoints) {
      const { consistency } = (await (await fetch(`${server.url}/ct/v1/get-sth-consistency?first=${size}&second=${latest.size}`)).json()) as any;
      verifyConsistency(size, latest.size, root, latest.rootHash, consistency.map(b64));
    }
    // …and every acknowledged entry is in the log at its index with the same leaf_input.
    for (let start = 0; start < latest.size; start += 1000) {
      const { entries } = (await (await fetch(`${server.url}/ct/v1/get-entries?start=${start}&end=${start + 999}`)).json()) as any;
      for (const r of acknowledged.filter((a) => a.leaf_index >= start && a.leaf_index < start + 1000)) {
        expect(entries[r.leaf_index - start].leaf_input).toBe(r.leaf_input);
      }
    }
    expect(await server.stop()).toBe(0);
    server = undefined;
  });
});
