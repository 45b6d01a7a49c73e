/**
 * Crash consistency (tools/crash.ts): the log and the witness, each as a real process, killed with
 * SIGKILL at random moments under load and restarted, with every acknowledgement checked after
 * every restart. 3 cycles each here; 30 with SEALTRAIL_LONG set (`npm run test:long`).
 *
 * The last test shows the checks themselves fail when they should: fed a log that lost entries
 * (a copy of its store from before they were acknowledged) and then forked, contradictory
 * acknowledgements, and a witness that goes backwards.
 */
import { randomBytes } from 'node:crypto';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCrash } from '../tools/crash.js';
import { LogLedger } from '../tools/crash/log-ledger.js';
import { Failures } from '../tools/crash/report.js';
import { WitnessLedger } from '../tools/crash/witness-ledger.js';
import { CheckpointSource } from '../tools/crash/witness-source.js';
import { Random } from '../tools/crash/random.js';
import { defaultMasterKeyPath } from '../src/cli/datadir.js';
import { generateCosignerKey } from '../src/note/index.js';
import { postRecord, startLog, tempDir } from './harness.js';
import type { TestLog } from './harness.js';

const LONG = Boolean(process.env['SEALTRAIL_LONG']);
const CYCLES = LONG ? 30 : 3;
const TIMEOUT_MS = LONG ? 30 * 60_000 : 60_000;
/** Short load periods keep the normal suite quick; the long run uses the tool's defaults. */
const LOAD = LONG ? {} : { minLoadMs: 100, maxLoadMs: 600 };

describe('crash consistency, as processes', () => {
  it(`the log loses and contradicts nothing it acknowledged over ${CYCLES} SIGKILLs under load`, async () => {
    const lines: string[] = [];
    const report = await runCrash({ mode: 'log', cycles: CYCLES, submitters: 3, clients: 2, ...LOAD, print: (line) => lines.push(line) });
    const log = lines.join('\n');
    if (report.mode !== 'log') throw new Error('expected a log report');
    expect(report.failures, log).toEqual([]);
    expect(report.ok, log).toBe(true);
    expect(report.cycles, log).toBe(CYCLES);
    // Checks that ran over nothing would prove nothing: entries were acknowledged, the kills hit
    // requests in flight, and every receipt and entry was looked at.
    expect(report.entries, log).toBeGreaterThan(0);
    expect(report.lostInFlight, log).toBeGreaterThan(0);
    expect(report.receipts, log).toBeGreaterThanOrEqual(report.entries);
    expect(report.receiptsVerified, log).toBe(report.receipts);
    expect(report.entriesFound, log).toBe(report.entries);
    expect(report.treeSize, log).toBeGreaterThanOrEqual(report.entries);
    expect(report.consistencyProofs, log).toBeGreaterThan(0);
    expect(report.restartMs, log).toHaveLength(CYCLES + 1);
    for (const ms of report.restartMs) expect(ms, log).toBeLessThanOrEqual(5000);
    expect(lines.filter((l) => /^cycle \d+\/\d+: .*: ok$/.test(l)), log).toHaveLength(CYCLES);
    expect(lines.at(-1), log).toMatch(/^crash: PASS: /);
  }, TIMEOUT_MS);

  it(`the witness never goes backwards nor cosigns two roots over ${CYCLES} SIGKILLs under load`, async () => {
    const lines: string[] = [];
    const report = await runCrash({ mode: 'witness', cycles: CYCLES, pushers: 3, ...LOAD, print: (line) => lines.push(line) });
    const log = lines.join('\n');
    if (report.mode !== 'witness') throw new Error('expected a witness report');
    expect(report.failures, log).toEqual([]);
    expect(report.ok, log).toBe(true);
    expect(report.cycles, log).toBe(CYCLES);
    expect(report.cosignatures, log).toBeGreaterThan(0);
    expect(report.cosignaturesVerified, log).toBe(report.cosignatures);
    expect(report.cosignedSize, log).toBeGreaterThan(0);
    expect(report.witnessSize, log).toBeGreaterThanOrEqual(report.cosignedSize);
    expect(report.logSize, log).toBeGreaterThanOrEqual(report.witnessSize);
    expect(report.restartMs, log).toHaveLength(CYCLES + 1);
    for (const ms of report.restartMs) expect(ms, log).toBeLessThanOrEqual(5000);
    expect(lines.at(-1), log).toMatch(/^crash: PASS: /);
  }, TIMEOUT_MS);
});

describe('the crash checks fail when they should', () => {
  let dirs: { path: string; remove(): Promise<void> };
  const logs: TestLog[] = [];
  beforeAll(async () => {
    dirs = await tempDir('sealtrail-crash-checks-');
  });
  afterAll(async () => {
    // The newest first: a stopped log's directory may be the one a later log reopened.
    for (const l of logs.reverse()) await l.destroy();
    await dirs.remove();
  });
  const record = (i: number): string => JSON.stringify({ event_id: `checks-${i}`, model: 'gpt-5.1', verdict: 'allow' });

  it('on a log that lost acknowledged entries, then forked, and on contradictory receipts', async () => {
    // A log with 3 entries, copied as it is (a store that will "lose" what comes next)…
    const a = await startLog({ principals: { alice: 'submitter' } });
    logs.push(a);
    const token = a.tokens['alice']!;
    const receipts: any[] = [];
    for (let i = 0; i < 3; i++) receipts.push((await postRecord(a, record(i), token)).json);
    await a.stop();
    const copy = join(dirs.path, 'copy');
    await cp(a.dir, copy, { recursive: true });
    await cp(defaultMasterKeyPath(a.dir), defaultMasterKeyPath(copy));
    // …then 3 more acknowledged by the original.
    const original = await startLog({ dir: a.dir });
    logs.push(original);
    for (let i = 3; i < 6; i++) receipts.push((await postRecord(original, record(i), token)).json);

    const failures = new Failures();
    const ledger = new LogLedger(original.verifierKey, failures);
    receipts.forEach((r, i) => ledger.acknowledge('alice', `checks-${i}`, record(i), r));
    const sound = await ledger.check(original.url);
    expect(failures.list()).toEqual([]);
    expect(sound).toMatchObject({ treeSize: 6, receiptsVerified: 6, entriesFound: 6 });

    // The copy is the log after a crash that lost the last 3 acknowledged entries.
    const lost = await startLog({ dir: copy });
    logs.push(lost);
    await ledger.check(lost.url);
    expect(failures.checks.sort()).toEqual(['consistency', 'entries']);
    expect(failures.list().join('\n')).toMatch(/checkpoint of tree size 6 was handed out, but after the restart the log has only 3 entries/);
    expect(failures.list().join('\n')).toMatch(/entry 5 was acknowledged to alice, but the restarted log has only 3 entries/);

    // It grows again with other entries: the same sizes, other roots (a fork), other leaves.
    for (let i = 10; i < 13; i++) await postRecord(lost, record(i), token);
    const forked = new Failures();
    const again = new LogLedger(original.verifierKey, forked);
    receipts.forEach((r, i) => again.acknowledge('alice', `checks-${i}`, record(i), r));
    await again.check(lost.url);
    expect(forked.checks.sort()).toEqual(['checkpoint', 'consistency', 'entries']);
    expect(forked.list().join('\n')).toMatch(/the log signed two different roots for tree size 6/);
    expect(forked.list().join('\n')).toMatch(/entry 3, acknowledged to alice, has a different leaf_input/);

    // Contradictions within what was acknowledged, caught as they arrive or at the next check.
    const contradicted = new Failures();
    const third = new LogLedger(original.verifierKey, contradicted);
    third.acknowledge('alice', 'checks-0', record(0), receipts[0]);
    third.acknowledge('alice', 'checks-1', record(1), receipts[1]);
    third.acknowledge('alice', undefined, record(1), { ...receipts[1], leaf_input: receipts[2].leaf_input });
    third.acknowledge('alice', 'checks-0', record(0), receipts[2]);
    third.acknowledge('bob', undefined, record(3), receipts[3]);
    await third.check(original.url);
    expect(contradicted.checks.sort()).toEqual(['idempotency', 'index', 'receipt']);
    const messages = contradicted.list().join('\n');
    expect(messages).toMatch(/index 1 was handed out twice/);
    expect(messages).toMatch(/idempotency key "checks-0" of alice was acknowledged as entry 0 and again as entry 2/);
    expect(messages).toMatch(/the receipt of entry 3, returned to bob, names alice as its submitter/);
    expect(messages).toMatch(/the receipt of entry 1 returned to alice does not verify \(leaf: /);
  });

  it('on a witness that goes backwards or cosigns two roots for one size', async () => {
    const log = await startLog({ principals: { alice: 'submitter' } });
    logs.push(log);
    const source = await CheckpointSource.open(log.url, log.dir, log.tokens['alice']!);
    const rng = new Random(1);
    for (let i = 0; i < 3; i++) await source.grow(rng);
    const failures = new Failures();
    // Any witness key: these checks need no cosignature to verify.
    const ledger = new WitnessLedger(generateCosignerKey('w.example/w', randomBytes).verifierKey, source, failures);
    const [first, second] = [source.at(source.sizes[1]!)!, source.at(source.sizes[2]!)!];
    ledger.acknowledge(second, first.size, 0, '');
    ledger.conflict(first.size, second.size);
    ledger.acknowledge(source.forge(second.size, rng), first.size, 0, '');
    ledger.acknowledge(first, 0, second.size, '');
    ledger.cosignedForgery(source.forge(second.size + 1, rng), second.size);
    expect(failures.checks.sort()).toEqual(['backwards', 'cosignature']);
    const messages = failures.list().join('\n');
    expect(messages).toMatch(new RegExp(`409 with latest size ${first.size} after it had acknowledged size ${second.size}`));
    expect(messages).toMatch(new RegExp(`cosigned two roots for tree size ${second.size}`));
    expect(messages).toMatch(new RegExp(`cosigned size ${first.size} from old size 0 after it had acknowledged size ${second.size}`));
    expect(messages).toMatch(/cosigned a forged checkpoint/);
  });
});
