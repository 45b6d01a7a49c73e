/**
 * @module
 * Micro-benchmarks (tinybench) of the pieces every add-entry and every proof is made of: SHA-256
 * three ways (node:crypto one-shot `hash`, which src/util/hash.ts uses; `createHash`; @noble/hashes),
 * strict parsing with JCS, RFC 8785 canonicalisation, field commitments, the dCBOR leaf, and proof
 * building from plans.
 *
 * Operations far below a microsecond are run `inner` times per timed call, so that the timer's
 * resolution and its own cost do not dominate; figures are the median call, per operation.
 *
 * Usage: npm run build && node dist/bench/micro.js [--quick]
 */
import { createHash, hash as oneShot, randomFillSync } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { Bench } from 'tinybench';
import { prepareRecord } from '../src/log/prepare.js';
import { buildProof, consistencyPlan, hashChildren, hashLeaf, inclusionPlan } from '../src/merkle/index.js';
import type { NodeId } from '../src/merkle/index.js';
import { canonicalize, commitRecord, decodeLeaf, encodeLeaf, fieldCommitment, parseRecord } from '../src/record/index.js';
import type { JsonValue } from '../src/record/index.js';
import { RECORD } from './http.js';
import { benchOptions } from './options.js';
import type { BenchOptions } from './options.js';
import { fmt, progress, times } from './table.js';
import type { Row } from './table.js';

export interface MicroResult {
  readonly group: string;
  readonly task: string;
  readonly nsPerOp: number;
  readonly opsPerSecond: number;
}

interface Task {
  readonly group: string;
  readonly task: string;
  /** Operations per timed call. */
  readonly inner: number;
  readonly fn: () => unknown;
}

const PROOF_TREE_SIZE = 1_000_000;

/** A sink the optimiser cannot see through, so that results are not thrown away unused. */
let sink: unknown;

function tasks(): Task[] {
  const bytes64 = randomFillSync(new Uint8Array(64));
  const bytes1k = randomFillSync(new Uint8Array(1024));
  const body = new TextEncoder().encode(RECORD);
  const object = JSON.parse(RECORD) as JsonValue;
  const fields = parseRecord(body);
  const notes = fields.find((f) => f.name === 'notes')!;
  const model = fields.find((f) => f.name === 'model')!;
  const salt = randomFillSync(new Uint8Array(16));
  const leaf = { kind: 'record' as const, time: 1_795_000_000_000, submitter: 'submitter', record: randomFillSync(new Uint8Array(32)) };
  const leafInput = encodeLeaf(leaf);
  // Proof building reads node hashes from tiles in the log; here from memory, so only planning
  // and folding (ragged right edge: one SHA-256 per extra node) are timed.
  const node = randomFillSync(new Uint8Array(32));
  const getNode = (_id: NodeId): Uint8Array => node;
  let index = 0;
  const nextIndex = (): number => (index = (index * 7919 + 104_729) % PROOF_TREE_SIZE);

  const sha = (size: string, data: Uint8Array): Task[] => [
    { group: `SHA-256 ${size}`, task: 'node:crypto hash (one-shot)', inner: 100, fn: () => oneShot('sha256', data, 'buffer') },
    { group: `SHA-256 ${size}`, task: 'node:crypto createHash', inner: 100, fn: () => createHash('sha256').update(data).digest() },
    { group: `SHA-256 ${size}`, task: '@noble/hashes sha256', inner: 100, fn: () => nobleSha256(data) },
  ];
  return [
    ...sha('64 B', bytes64),
    ...sha('1 KB', bytes1k),
    { group: 'JCS', task: 'parseRecord: strict I-JSON + JCS per field (1 KB, 13 fields)', inner: 10, fn: () => parseRecord(body) },
    { group: 'JCS', task: 'canonicalize(JSON.parse(record)) (RFC 8785)', inner: 10, fn: () => canonicalize(object) },
    { group: 'commitments', task: 'fieldCommitment, short field', inner: 100, fn: () => fieldCommitment(model.name, model.jcs, salt) },
    { group: 'commitments', task: 'fieldCommitment, 560-char field', inner: 100, fn: () => fieldCommitment(notes.name, notes.jcs, salt) },
    { group: 'commitments', task: 'commitRecord: 13 fields + record digest', inner: 10, fn: () => commitRecord(fields, (n) => new Uint8Array(n)) },
    { group: 'commitments', task: 'prepareRecord: salts + commitRecord + request digest', inner: 10, fn: () => prepareRecord(fields, undefined) },
    { group: 'leaf (dCBOR)', task: 'encodeLeaf', inner: 100, fn: () => encodeLeaf(leaf) },
    { group: 'leaf (dCBOR)', task: 'decodeLeaf (strict)', inner: 100, fn: () => decodeLeaf(leafInput) },
    { group: 'leaf (dCBOR)', task: 'hashLeaf (RFC 6962)', inner: 100, fn: () => hashLeaf(leafInput) },
    { group: 'tree', task: 'hashChildren (RFC 6962)', inner: 100, fn: () => hashChildren(node, node) },
    {
      group: 'proofs (1M-leaf tree)',
      task: 'inclusionPlan + buildProof',
      inner: 10,
      fn: () => buildProof(inclusionPlan(nextIndex(), PROOF_TREE_SIZE), getNode),
    },
    {
      group: 'proofs (1M-leaf tree)',
      task: 'consistencyPlan + buildProof',
      inner: 10,
      fn: () => buildProof(consistencyPlan(1 + nextIndex(), PROOF_TREE_SIZE), getNode),
    },
  ];
}

/** Runs every micro-benchmark; `quick` gives each a few milliseconds only. */
export async function measureMicro(options: BenchOptions): Promise<MicroResult[]> {
  const bench = new Bench({
    time: options.quick ? 20 : 500,
    warmupTime: options.quick ? 5 : 100,
    iterations: options.quick ? 5 : 64,
  });
  const list = tasks();
  for (const t of list) {
    const { fn, inner } = t;
    bench.add(`${t.group}: ${t.task}`, () => {
      for (let i = 0; i < inner; i++) sink = fn();
    });
  }
  await bench.run();
  return list.map((t, i) => {
    const result = bench.tasks[i]!.result;
    if (result.state !== 'completed') {
      throw new Error(`micro-benchmark ${t.group}: ${t.task} ${result.state === 'errored' ? `failed: ${result.error.message}` : result.state}`);
    }
    // The median timed call, per operation: on a shared machine the mean carries every preemption.
    const nsPerOp = (result.latency.p50 * 1e6) / t.inner;
    return { group: t.group, task: t.task, nsPerOp, opsPerSecond: 1e9 / nsPerOp };
  });
}

/**
 * The micro-benchmarks' own table. In the SHA-256 groups, whose tasks are alternatives for one job,
 * each is compared with the one src uses (the first).
 */
export function microTable(results: readonly MicroResult[]): string {
  const lines = ['| group | task | ns/op | ops/s | speed vs node:crypto hash |', '|---|---|---|---|---|'];
  const first = new Map<string, MicroResult>();
  for (const r of results) {
    if (!first.has(r.group)) first.set(r.group, r);
    const base = first.get(r.group)!;
    const relative = base === r || !r.group.startsWith('SHA-256') ? '' : times(base.nsPerOp / r.nsPerOp);
    lines.push(`| ${r.group} | ${r.task} | ${fmt(r.nsPerOp)} | ${fmt(r.opsPerSecond)} | ${relative} |`);
  }
  return lines.join('\n');
}

const find = (results: readonly MicroResult[], group: string, task: string): MicroResult => {
  const r = results.find((x) => x.group === group && x.task.startsWith(task));
  if (!r) throw new Error(`no micro-benchmark ${group}: ${task}`);
  return r;
};

/** The summary rows for the one table of `npm run bench`: what src uses against its alternatives. */
export function microRows(results: readonly MicroResult[]): Row[] {
  const rows: Row[] = [];
  for (const size of ['64 B', '1 KB']) {
    const ours = find(results, `SHA-256 ${size}`, 'node:crypto hash');
    for (const [name, task] of [['createHash', 'node:crypto createHash'], ['@noble/hashes', '@noble/hashes']] as const) {
      const base = find(results, `SHA-256 ${size}`, task);
      rows.push({
        target: `micro SHA-256 ${size}, ops/s: crypto.hash vs ${name}`,
        ours: fmt(ours.opsPerSecond),
        baseline: fmt(base.opsPerSecond),
        ratio: times(ours.opsPerSecond / base.opsPerSecond),
        verdict: '',
        values: { ours: ours.opsPerSecond, baseline: base.opsPerSecond },
      });
    }
  }
  const us = (r: MicroResult): string => (r.nsPerOp / 1000).toFixed(2);
  const parse = find(results, 'JCS', 'parseRecord');
  const prepare = find(results, 'commitments', 'prepareRecord');
  const leaf = find(results, 'leaf (dCBOR)', 'encodeLeaf');
  const inclusion = find(results, 'proofs (1M-leaf tree)', 'inclusionPlan');
  rows.push({
    target: 'micro µs/op: parse 1 KB record / prepare (13 commitments) / encodeLeaf / inclusion proof (1M)',
    ours: `${us(parse)} / ${us(prepare)} / ${us(leaf)} / ${us(inclusion)}`,
    baseline: '',
    ratio: '',
    verdict: '',
    values: { parse: parse.nsPerOp, prepare: prepare.nsPerOp, encodeLeaf: leaf.nsPerOp, inclusion: inclusion.nsPerOp },
  });
  return rows;
}

export async function runMicro(options: BenchOptions): Promise<{ rows: Row[]; results: MicroResult[] }> {
  progress('micro-benchmarks');
  const results = await measureMicro(options);
  return { rows: microRows(results), results };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await measureMicro(benchOptions(process.argv.includes('--quick')));
  console.log(microTable(results));
  void sink;
}
