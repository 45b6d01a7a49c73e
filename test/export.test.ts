/**
 * Evidence export (issue 4 item 6) over real HTTP on a real LevelDB: the range read that pins every
 * proof to one checkpoint, `sealtrail export` in each format (with filters and tenant scopes) run
 * as a process, and `sealtrail verify-bundle` on a bundle of 10,000 records, intact and altered.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundleRecord } from '../src/client/bundle.js';
import { parseFilter } from '../src/client/filter.js';
import { verifyReceipt } from '../src/client/receipt.js';
import { generateCosignerKey, openCheckpoint, parseVerifierKey } from '../src/note/index.js';
import { utf8 } from '../src/util/bytes.js';
import { auditRecord, http, postRecord, startLog, tempDir } from './harness.js';
import type { TestLog } from './harness.js';
import { run } from './process.js';

const RESULTS = ['allow', 'block', 'escalate', 'allow', 'allow'];
/** Record i of the logs below: tenants tenant-0..2 in turn, a `result` for filters. */
const recordOf = (i: number): Record<string, unknown> => auditRecord(i, { result: RESULTS[i % RESULTS.length]! });

async function fill(t: TestLog, count: number, start = 0): Promise<void> {
  for (let from = start; from < start + count; from += 1000) {
    const batch = Array.from({ length: Math.min(1000, start + count - from) }, (_, k) => recordOf(from + k));
    const res = await http(`${t.url}/ct/v1/add-entries`, {
      method: 'POST',
      token: t.tokens['alice']!,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    expect(res.status, res.text).toBe(200);
  }
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l.length > 0);

describe('GET /v1/records?start&end&tree_size', () => {
  let t: TestLog;
  beforeAll(async () => {
    t = await startLog({
      principals: {
        alice: 'submitter',
        carol: 'auditor',
        dave: { role: 'auditor', tenants: ['tenant-1'] },
        root: 'admin',
      },
    });
    await fill(t, 1200);
  });
  afterAll(() => t.destroy());

  it('answers at most 1000 entries, each with its proof in the tree of tree_size, and says which it covered', async () => {
    const res = await http(`${t.url}/v1/records?start=100&end=5000&tree_size=1200`, { token: t.tokens['carol']! });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json).toMatchObject({ tree_size: 1200, start: 100, end: 1099 });
    expect(res.json.records).toHaveLength(1000);
    expect(res.json.records.map((r: { leaf_index: number }) => r.leaf_index)).toEqual(Array.from({ length: 1000 }, (_, i) => 100 + i));
    const { checkpoint } = openCheckpoint(t.log.head.checkpoint, parseVerifierKey(t.verifierKey));
    for (const record of res.json.records) expect(verifyBundleRecord(record, checkpoint)).toBe(record.leaf_index);
    // The same entry as GET /v1/records/{index} reads it, less the checkpoint the range does not carry.
    const one = await http(`${t.url}/v1/records/100`, { token: t.tokens['carol']! });
    const { checkpoint: _note, ...rest } = one.json;
    expect(res.json.records[0]).toEqual(rest);
  });

  it('pins proofs to an older tree size while the log grows', async () => {
    const note = (await http(`${t.url}/checkpoint`)).text;
    const { checkpoint } = openCheckpoint(note, parseVerifierKey(t.verifierKey));
    await fill(t, 7, 5000);
    expect(t.log.head.size).toBe(checkpoint.size + 7);
    const res = await http(`${t.url}/v1/records?start=0&end=${checkpoint.size - 1}&tree_size=${checkpoint.size}`, { token: t.tokens['root']! });
    expect(res.status, res.text).toBe(200);
    for (const record of res.json.records) verifyBundleRecord(record, checkpoint);
    // Against the grown tree, an old proof does not verify.
    const grown = openCheckpoint(t.log.head.checkpoint, parseVerifierKey(t.verifierKey)).checkpoint;
    expect(() => verifyBundleRecord(res.json.records[5], grown)).toThrow(/audit path/);
  });

  it('skips records outside a scoped token\'s tenants silently, still covering every index', async () => {
    const res = await http(`${t.url}/v1/records?start=0&end=29&tree_size=30`, { token: t.tokens['dave']! });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ start: 0, end: 29 });
    expect(res.json.records.map((r: { leaf_index: number }) => r.leaf_index)).toEqual([1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
    expect(res.json.records.every((r: { values: { tenant_id: string } }) => r.values.tenant_id === 'tenant-1')).toBe(true);
  });

  it('carries erased fields as their commitments, so an erased record still verifies', async () => {
    const erase = await http(`${t.url}/v1/records/3/erase`, {
      method: 'POST',
      token: t.tokens['root']!,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields: ['user_id'], reason: 'export test' }),
    });
    expect(erase.status, erase.text).toBe(200);
    const size = t.log.head.size;
    const res = await http(`${t.url}/v1/records?start=3&end=3&tree_size=${size}`, { token: t.tokens['carol']! });
    const [record] = res.json.records;
    expect(record.values.user_id).toBeUndefined();
    expect(Object.keys(record.erased)).toEqual(['user_id']);
    const { checkpoint } = openCheckpoint(t.log.head.checkpoint, parseVerifierKey(t.verifierKey));
    expect(verifyBundleRecord(record, checkpoint)).toBe(3);
    expect(() => verifyBundleRecord({ ...record, erased: {} }, checkpoint)).toThrow(/the values do not match the leaf's record digest/);
  });

  it('refuses what it cannot answer, naming what is accepted', async () => {
    const size = t.log.head.size;
    const ask = (query: string, token = t.tokens['carol']!) => http(`${t.url}/v1/records?${query}`, { token });
    expect((await ask(`start=0&end=1&tree_size=${size + 1}`)).json).toEqual({
      error_code: 'treeSizeUnknown',
      error_message: `tree_size ${size + 1} is larger than the current tree size ${size}`,
    });
    expect((await ask('start=0&end=1&tree_size=0')).json.error_code).toBe('treeSizeUnknown');
    expect((await ask('start=5&end=4&tree_size=10')).json.error_code).toBe('endBeforeStart');
    expect((await ask('start=10&end=20&tree_size=10')).json.error_code).toBe('startUnknown');
    expect((await ask('start=0&end=1')).json).toEqual({ error_code: 'malformed', error_message: 'missing query parameter tree_size' });
    expect((await ask('start=0&end=1&tree_size=2&event_id=x')).status).toBe(400);
    expect((await ask('start=0&end=1&tree_size=2', t.tokens['alice']!)).status).toBe(403);
    expect((await http(`${t.url}/v1/records?start=0&end=1&tree_size=2`)).status).toBe(401);
    // The event_id lookup is unchanged.
    expect((await ask('event_id=nope')).status).toBe(404);
  });
});

describe('sealtrail export and verify-bundle', () => {
  const COUNT = 10_000;
  let t: TestLog;
  let dir: { path: string; remove(): Promise<void> };
  let vkeyFile: string;
  beforeAll(async () => {
    t = await startLog({
      principals: {
        alice: 'submitter',
        carol: 'auditor',
        dave: { role: 'auditor', tenants: ['tenant-1'] },
        erin: { role: 'admin', tenants: ['tenant-0', 'tenant-2'] },
      },
    });
    dir = await tempDir('sealtrail-export-');
    vkeyFile = join(dir.path, 'log.vkey');
    await writeFile(vkeyFile, `${t.verifierKey}\n`);
    await fill(t, COUNT);
  }, 120_000);
  afterAll(async () => {
    await t.destroy();
    await dir.remove();
  });

  const exportArgs = (token: string, format: string, out: string, ...rest: string[]): string[] => [
    'export', '--url', t.url, '--token', t.tokens[token]!, '--format', format, '--out', out, ...rest,
  ];

  let bundlePath: string;

  it('exports a bundle of all 10,000 records that verify-bundle verifies offline', async () => {
    bundlePath = join(dir.path, 'all.bundle.jsonl');
    const exported = await run(exportArgs('carol', 'bundle', bundlePath));
    expect(exported.stderr).toBe(''); // no progress bar: stderr is not a terminal
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(`exported ${COUNT} records of entries 0 to ${COUNT - 1}`);
    const text = await readFile(bundlePath, 'utf8');
    const all = lines(text);
    expect(all).toHaveLength(COUNT + 2);
    const header = JSON.parse(all[0]!);
    expect(header).toMatchObject({ type: 'sealtrail.bundle/v1', origin: 'test.example/log', verifier_key: t.verifierKey, tree_size: COUNT, from: 0, to: COUNT - 1, filter: null });
    expect(JSON.parse(all.at(-1)!)).toEqual({ type: 'sealtrail.bundle.end/v1', records: COUNT });

    const verified = await run(['verify-bundle', bundlePath, '--vkey', vkeyFile]);
    expect(verified.stderr).toBe('');
    expect(verified.stdout.trim()).toBe(`OK: all ${COUNT} records of the bundle verify against the checkpoint of tree size ${COUNT} of test.example/log`);
    expect(verified.code).toBe(0);
  }, 120_000);

  it('a bundle with one altered byte fails, naming that record and why, and the others still pass', async () => {
    const all = lines(await readFile(bundlePath, 'utf8'));
    const target = all.findIndex((l) => l.startsWith('{"leaf_index":41,'));
    // One byte of a value: user-7@… becomes user-8@…
    const before = all[target]!;
    all[target] = before.replace('"user_id":"user-7@', '"user_id":"user-8@');
    expect(all[target]).not.toBe(before);
    const altered = join(dir.path, 'altered.jsonl');
    await writeFile(altered, `${all.join('\n')}\n`);
    const res = await run(['verify-bundle', altered, '--vkey', vkeyFile]);
    expect(res.code).toBe(1);
    const out = lines(res.stdout);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^FAIL record 41: the values do not match the leaf's record digest: /);
    expect(out[1]).toBe(`FAIL: 1 failure among the ${COUNT} records of the bundle, checked against the checkpoint of tree size ${COUNT} of test.example/log`);
  }, 60_000);

  it('names every kind of damage: a broken proof, a broken line, a bundle cut short, a wrong key', async () => {
    const all = lines(await readFile(bundlePath, 'utf8')).slice(0, 12);
    const r3 = JSON.parse(all[3]!);
    r3.audit_path[0] = r3.audit_path[1];
    all[3] = JSON.stringify(r3);
    all[6] = all[6]!.slice(0, -1); // not JSON any more
    const damaged = join(dir.path, 'damaged.jsonl');
    await writeFile(damaged, `${all.join('\n')}\n`); // no end line either
    const res = await run(['verify-bundle', damaged, '--vkey', vkeyFile]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^FAIL record 2: the audit path does not lead to the checkpoint's root/m);
    expect(res.stdout).toMatch(/^FAIL line 7: not valid JSON/m);
    expect(res.stdout).toMatch(/^FAIL the bundle has no end line: it was cut short after 11 records$/m);

    const other = await startLog({ origin: 'test.example/log' });
    try {
      const wrongKey = await run(['verify-bundle', bundlePath, '--vkey', other.verifierKey]);
      expect(wrongKey.code).toBe(1);
      expect(wrongKey.stdout).toMatch(/^FAIL bundle: the checkpoint does not verify with the log key/);
    } finally {
      await other.destroy();
    }
    // A witness that did not cosign.
    const witness = generateCosignerKey('witness.example/w1', (n) => new Uint8Array(n).fill(7));
    const unwitnessed = await run(['verify-bundle', bundlePath, '--vkey', vkeyFile, '--witness', witness.verifierKey]);
    expect(unwitnessed.code).toBe(1);
    expect(unwitnessed.stdout).toMatch(/carries 0 of the 1 witness cosignatures required/);
    expect((await run(['verify-bundle', '--vkey', vkeyFile])).code).toBe(2);
    expect((await run(['verify-bundle', bundlePath])).code).toBe(2);
  }, 60_000);

  it('exports JSON Lines with a filter and a tenant scope; each line verifies as a receipt', async () => {
    const out = join(dir.path, 'scoped.jsonl');
    const res = await run(exportArgs('dave', 'json', out, '--filter', 'result=block OR result=escalate'));
    expect(res.code, res.stderr).toBe(0);
    const expected = Array.from({ length: COUNT }, (_, i) => i).filter((i) => i % 3 === 1 && (i % 5 === 1 || i % 5 === 2));
    const reads = lines(await readFile(out, 'utf8')).map((l) => JSON.parse(l));
    expect(reads.map((r) => r.leaf_index)).toEqual(expected);
    expect(res.stdout).toContain(`exported ${expected.length} records`);
    for (const read of reads.slice(0, 50)) {
      expect(read.values.tenant_id).toBe('tenant-1');
      expect(['block', 'escalate']).toContain(read.values.result);
      expect(verifyReceipt(read, utf8(JSON.stringify(read.values)), t.verifierKey).leafIndex).toBe(read.leaf_index);
    }
  }, 60_000);

  it('exports a filtered, scoped bundle of a range that verifies', async () => {
    const out = join(dir.path, 'range.bundle.jsonl');
    const res = await run(exportArgs('erin', 'bundle', out, '--from', '1500', '--to', '4321', '--filter', 'category=block AND result=allow'));
    expect(res.code, res.stderr).toBe(0);
    const filter = parseFilter('category=block AND result=allow');
    const expected = Array.from({ length: 4321 - 1500 + 1 }, (_, k) => 1500 + k).filter((i) => i % 3 !== 1 && filter(recordOf(i)));
    const all = lines(await readFile(out, 'utf8'));
    expect(JSON.parse(all[0]!)).toMatchObject({ from: 1500, to: 4321, filter: 'category=block AND result=allow' });
    expect(all.slice(1, -1).map((l) => JSON.parse(l).leaf_index)).toEqual(expected);
    const verified = await run(['verify-bundle', out, '--vkey', t.verifierKey]);
    expect(verified.stdout).toBe(`OK: all ${expected.length} records of the bundle verify against the checkpoint of tree size ${COUNT} of test.example/log\n`);
    expect(verified.code).toBe(0);
  }, 60_000);

  it('exports CSV with fixed columns: the first record\'s fields, or --columns', async () => {
    const out = join(dir.path, 'part.csv');
    const res = await run(exportArgs('carol', 'csv', out, '--from', '10', '--to', '12'));
    expect(res.code, res.stderr).toBe(0);
    const rows = (await readFile(out, 'utf8')).split('\r\n');
    expect(rows).toHaveLength(5);
    expect(rows[4]).toBe('');
    const header = rows[0]!.split(',');
    expect(header.slice(0, 3)).toEqual(['leaf_index', 'timestamp', 'submitter']);
    // The record's own "timestamp" field is told apart from the leaf's.
    expect(header).toContain('values.timestamp');
    expect(header).toContain('guardrails');
    const read10 = (await http(`${t.url}/v1/records/10`, { token: t.tokens['carol']! })).json;
    const row10 = rows[1]!;
    expect(row10.startsWith(`10,${read10.timestamp},alice,`)).toBe(true);
    expect(row10).toContain(`"${JSON.stringify(read10.values.guardrails).replace(/"/g, '""')}"`);

    const picked = join(dir.path, 'picked.csv');
    const res2 = await run(exportArgs('dave', 'csv', picked, '--to', '20', '--columns', 'tenant_id,result,tokens,missing', '--filter', 'result=allow'));
    expect(res2.code, res2.stderr).toBe(0);
    const text = await readFile(picked, 'utf8');
    expect(text.split('\r\n')).toEqual([
      'leaf_index,timestamp,submitter,tenant_id,result,tokens,missing',
      ...[4, 10, 13, 19].map((i) => {
        // Values are read back as the log committed them: RFC 8785 canonical JSON, members sorted.
        const tokens = JSON.stringify({ completion: 128, prompt: 512 + i }).replace(/"/g, '""');
        return expect.stringMatching(new RegExp(`^${i},\\d+,alice,tenant-1,allow,"${tokens.replace(/[{}]/g, '\\$&')}",$`));
      }),
      '',
    ]);
  }, 60_000);

  it('refuses bad usage with exit 2 and failures with exit 1, leaving no output file', async () => {
    const out = join(dir.path, 'never.jsonl');
    expect((await run(exportArgs('carol', 'xml', out))).code).toBe(2);
    expect((await run(exportArgs('carol', 'json', out, '--filter', 'result'))).code).toBe(2);
    expect((await run(exportArgs('carol', 'json', out, '--from', '5', '--to', '4'))).code).toBe(2);
    expect((await run(exportArgs('carol', 'json', out, '--columns', 'a'))).code).toBe(2);
    const beyond = await run(exportArgs('carol', 'json', out, '--to', String(COUNT)));
    expect(beyond.code).toBe(1);
    expect(beyond.stderr).toContain(`--to ${COUNT} is beyond the checkpoint's tree (size ${COUNT}`);
    const forbidden = await run(exportArgs('alice', 'json', out));
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/answered HTTP 403/);
    await expect(readFile(out)).rejects.toThrow();
    await expect(readFile(`${out}.partial`)).rejects.toThrow();
  }, 60_000);

  it('takes the token from $SEALTRAIL_TOKEN when --token is not given (off the command line); without either, says so', async () => {
    const out = join(dir.path, 'from-env.jsonl');
    const args = ['export', '--url', t.url, '--format', 'json', '--out', out, '--from', '0', '--to', '9'];
    const { SEALTRAIL_TOKEN: _, ...without } = process.env;
    const ok = await run(args, { env: { ...without, SEALTRAIL_TOKEN: t.tokens['carol']! } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(lines(await readFile(out, 'utf8')).map((l) => JSON.parse(l).leaf_index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // --token wins over the environment: a submitter's token given on the command line is refused.
    const flagWins = await run([...args, '--token', t.tokens['alice']!], { env: { ...without, SEALTRAIL_TOKEN: t.tokens['carol']! } });
    expect(flagWins.code).toBe(1);
    expect(flagWins.stderr).toMatch(/answered HTTP 403/);
    const missing = await run(args, { env: without });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--token (or $SEALTRAIL_TOKEN) is required');
  }, 60_000);
});

describe('an empty log', () => {
  it('exports an empty bundle that verifies', async () => {
    const t = await startLog();
    const dir = await tempDir('sealtrail-export-');
    try {
      const out = join(dir.path, 'empty.jsonl');
      const res = await run(['export', '--url', t.url, '--token', t.tokens['carol']!, '--format', 'bundle', '--out', out]);
      expect(res.code, res.stderr).toBe(0);
      expect(lines(await readFile(out, 'utf8'))).toHaveLength(2);
      const verified = await run(['verify-bundle', out, '--vkey', t.verifierKey]);
      expect(verified.stdout).toContain('OK: all 0 records');
      expect(verified.code).toBe(0);
    } finally {
      await t.destroy();
      await dir.remove();
    }
  }, 30_000);
});
