/**
 * @module
 * P4: add-entry latency under moderate load: a fixed overall rate, half of the P1 maximum measured
 * in the same run, against a fresh server with the default sequencer settings; the p99 latency must
 * stay within the configured maximum batch delay + 25 ms.
 *
 * The rate is held by an open-loop generator (paced.ts): requests evenly spaced in time, latency
 * counted from when each was due. A reference row drives the same rate through autocannon's
 * `overallRate`, which spends each connection's per-second quota back to back at the start of
 * every second: that is full load for part of each second, not half the rate.
 */
import autocannon from 'autocannon';
import { DEFAULT_SEQUENCER_OPTIONS } from '../src/log/sequencer.js';
import { RECORD, failedStatuses, failures, withFreshSealtrail } from './http.js';
import type { BenchOptions } from './options.js';
import { paced, quantile } from './paced.js';
import { fmt, ms, progress, times, verdict } from './table.js';
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
  progress(`P4: add-entry at a fixed ${fmt(rate)} req/s (half of P1's ${fmt(p1Max)}), evenly paced, then through autocannon`);
  const { evenly, bursts } = await withFreshSealtrail([], async (server, token) => {
    const request = {
      url: `${server.url}/ct/v1/add-entry`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: RECORD,
      connections: options.connections,
    };
    if (options.warmupS > 0) await paced({ ...request, rate, durationS: options.warmupS });
    const evenly = await paced({ ...request, rate, durationS: options.durationS });
    const bursts = await autocannon({ ...request, overallRate: rate, duration: options.durationS });
    return { evenly, bursts };
  });
  const achieved = evenly.ok / evenly.seconds;
  const p50 = quantile(evenly.latencies, 0.5);
  const p99 = quantile(evenly.latencies, 0.99);
  // A server that cannot hold the rate queues requests, and the latency says so; but say it too.
  const held = achieved >= 0.9 * rate;
  const failed = evenly.failures === '' ? undefined : `failed: ${evenly.failures}`;
  const burstsFailed = failures({ errors: bursts.errors + bursts.timeouts, non2xx: bursts.non2xx, statuses: failedStatuses(bursts.statusCodeStats) });
  return {
    rows: [
      {
        target: `P4 add-entry p99 (ms) at ${fmt(rate)} req/s = ½ P1, evenly paced (≤ max delay ${DEFAULT_SEQUENCER_OPTIONS.maxDelayMs} + 25 ms)`,
        ours: `${ms(p99)} (p50 ${ms(p50)})`,
        baseline: `${limit}`,
        ratio: times(p99 / limit),
        verdict: failed ?? (!held ? `falls short: rate not held (${fmt(achieved)} req/s)` : verdict(p99 <= limit)),
        values: { rate, achieved, p50, p99, limit, sent: evenly.sent, ok: evenly.ok },
      },
      {
        target: `P4 (reference) the same rate through autocannon overallRate (per-second bursts), p99 (ms)`,
        ours: `${bursts.latency.p99} (p50 ${bursts.latency.p50})`,
        baseline: `${limit}`,
        ratio: times(bursts.latency.p99 / limit),
        verdict: burstsFailed ?? '',
        values: { p50: bursts.latency.p50, p99: bursts.latency.p99 },
      },
    ],
    rate,
    achieved,
    p50,
    p99,
  };
}
