/**
 * `npm run bench:tune`: how the sequencer's pass trigger (maximum delay, maximum pass size) trades
 * throughput for latency under the P1 load (64 keep-alive clients, single add-entry). The defaults
 * in src/log/sequencer.ts were chosen from this table.
 *
 * Usage: npm run bench:tune [-- --duration 10]
 */
import { benchSealtrail, machine } from './http.js';
import { benchOptions } from './options.js';

const duration = Number(process.argv[process.argv.indexOf('--duration') + 1]) || 10;
const options = benchOptions(false, { durationS: duration });

const settings: { delay: number; batch: number }[] = [
  { delay: 2, batch: 2048 },
  { delay: 2, batch: 1024 },
  { delay: 5, batch: 1024 },
  { delay: 2, batch: 256 },
  { delay: 2, batch: 64 },
];

console.log(`\nsequencer pass trigger under 64 clients — ${machine()}\n`);
console.log('| max delay (ms) | max pass (entries) | req/s | p50 (ms) | p99 (ms) |');
console.log('|---|---|---|---|---|');
for (const { delay, batch } of settings) {
  const r = await benchSealtrail(['--batch-max-delay-ms', String(delay), '--batch-max-entries', String(batch)], 64, options);
  console.log(`| ${delay} | ${batch} | ${Math.round(r.requestsPerSecond).toLocaleString('en-US')} | ${r.p50} | ${r.p99} |`);
}

// At light load the delay is most of the latency: a lone request waits for it, then for one fsync.
console.log(`\nthe same under light load (4 clients)\n`);
console.log('| max delay (ms) | max pass (entries) | req/s | p50 (ms) | p99 (ms) |');
console.log('|---|---|---|---|---|');
for (const delay of [1, 2, 5, 10]) {
  const r = await benchSealtrail(['--batch-max-delay-ms', String(delay), '--batch-max-entries', '1024'], 4, options);
  console.log(`| ${delay} | 1024 | ${Math.round(r.requestsPerSecond).toLocaleString('en-US')} | ${r.p50} | ${r.p99} |`);
}
