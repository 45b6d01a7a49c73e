/**
 * `npm run bench`: runs every benchmark and prints one table: target, our figure, the baseline
 * measured in the same run, the ratio, and whether the target is met.
 */
import { benchBare, benchSealtrail, machine } from './http.js';

interface Row {
  readonly target: string;
  readonly ours: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly verdict: string;
}

function table(rows: Row[]): string {
  const head: Row = { target: 'target', ours: 'sealtrail', baseline: 'baseline', ratio: 'ratio', verdict: 'result' };
  const all = [head, ...rows];
  const keys = Object.keys(head) as (keyof Row)[];
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((r) => r[k].length))])) as Record<keyof Row, number>;
  const line = (r: Row) => `| ${keys.map((k) => r[k].padEnd(width[k])).join(' | ')} |`;
  return [line(head), `|${keys.map((k) => '-'.repeat(width[k] + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const bare = await benchBare();
const ours = await benchSealtrail();
const entries = ours.entries;
const ratio = ours.requestsPerSecond / bare.requestsPerSecond;
const rows: Row[] = [
  {
    target: 'P1 add-entry, 64 clients, req/s (≥ 0.6× bare Hono)',
    ours: fmt(ours.requestsPerSecond),
    baseline: fmt(bare.requestsPerSecond),
    ratio: `${ratio.toFixed(2)}×`,
    verdict: ratio >= 0.6 ? 'pass' : 'falls short',
  },
  { target: 'add-entry latency p50 / p99 (ms)', ours: `${ours.p50} / ${ours.p99}`, baseline: `${bare.p50} / ${bare.p99}`, ratio: '', verdict: '' },
];
console.log(`\nsealtrail benchmarks — ${machine()}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log(table(rows));
console.log(`\n(sealtrail logged ${fmt(entries)} entries; errors ${ours.errors}, non-2xx ${ours.non2xx}; baseline errors ${bare.errors})`);
