/**
 * @module
 * P4: add-entry latency under moderate load. autocannon holds a fixed overall rate, half of the P1
 * maximum measured in the same run, against a fresh server with the default sequencer settings; the
 * p99 latency must stay within the configured maximum batch delay + 25 ms.
 */
import autocannon from 'autocannon';
import { DEFAULT_SEQUENCER_OPTIONS } from '../src/log/sequencer.js';
import { RECORD, failedStatuses, failures, withFreshSealtrail } from './http.js';
import type { BenchOptions } from './options.js';
import { fmt, progress, times, verdict } from './table.js';
import type { Row } from './table.js';

export interface P4Result {
  readonly rows: Row[];
  readonly rate: number;
  readonly achieved: number;
  readonly p50: number;
  readonly p99: number;
}

/** `p1Max`: the P1 add-entry req/s of this run. */
export async function runP4(options: BenchOptions, p1Max: number): Promise<P4Result> {
  const rate = Math.max(1, Math.round(p1Max / 2));
  const limit = DEFAULT_SEQUENCER_OPTIONS.maxDelayMs + 25;
  progress(`P4: add-entry at a fixed ${fmt(rate)} req/s (half of P1's ${fmt(p1Max)})`);
  const r = await withFreshSealtrail([], async (server, token) => {
    const request = {
      url: `${server.url}/ct/v1/add-entry`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: RECORD,
      connections: options.connections,
      overallRate: rate,
    };
    if (options.warmupS > 0) await autocannon({ ...request, duration: options.warmupS });
    return autocannon({ ...request, duration: options.durationS });
  });
  const achieved = r['2xx'] / r.duration;
  const failed = failures({ errors: r.errors + r.timeouts, non2xx: r.non2xx, statuses: failedStatuses(r.statusCodeStats) });
  // A server that cannot hold the rate queues requests, and the latency says so; but say it too.
  const held = achieved >= 0.9 * rate;
  return {
    rows: [
      {
        target: `P4 add-entry p99 (ms) at ${fmt(rate)} req/s = ½ P1 (≤ max delay ${DEFAULT_SEQUENCER_OPTIONS.maxDelayMs} + 25 ms)`,
        ours: `${r.latency.p99} (p50 ${r.latency.p50})`,
        baseline: `${limit}`,
        ratio: times(r.latency.p99 / limit),
        verdict: failed ?? (!held ? `falls short: rate not held (${fmt(achieved)} req/s)` : verdict(r.latency.p99 <= limit)),
        values: { rate, achieved, p50: r.latency.p50, p99: r.latency.p99, limit, failures: r.errors + r.timeouts + r.non2xx },
      },
    ],
    rate,
    achieved,
    p50: r.latency.p50,
    p99: r.latency.p99,
  };
}
