/**
 * @module
 * The log's Prometheus metrics (served at `GET /metrics`; names and meanings in spec/formats.md §17).
 * Each instance owns its registry, never prom-client's global one, so that several logs in one
 * process (the tests) keep apart. Gauges that mirror state (tree size, pool depth, witness
 * cosignature age) are read at scrape time, so the hot path pays only for counters and histograms.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SequencerObserver } from '../log/sequencer.js';
import type { WitnessStatus } from '../log/witnesses.js';

/** What the scrape-time gauges read. */
export interface MetricSources {
  readonly treeSize: () => number;
  readonly pendingEntries: () => number;
  readonly witnesses?: () => readonly WitnessStatus[];
  /** Milliseconds since the epoch, the clock witness cosignature times are taken with. */
  readonly now?: () => number;
}

/** Route label of a request that matched no endpoint: the raw path would make cardinality unbounded. */
export const UNMATCHED_ROUTE = 'unmatched';

// A pass holds 1 to maxBatchEntries (1024) entries, more for a large batch on its own.
const PASS_ENTRIES_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];
// A pass is one fsync'd batch plus two signatures: about a millisecond on a fast disk, far more on a slow one.
const PASS_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const HTTP_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  readonly registry = new Registry();
  private sources: MetricSources | undefined;

  private readonly entriesAppended = new Counter({
    name: 'sealtrail_entries_appended_total',
    help: 'Entries appended to the log by this process (durable and published).',
    registers: [this.registry],
  });
  private readonly passEntries = new Histogram({
    name: 'sealtrail_sequencing_pass_entries',
    help: 'New entries per sequencing pass (one fsync each).',
    buckets: PASS_ENTRIES_BUCKETS,
    registers: [this.registry],
  });
  private readonly passSeconds = new Histogram({
    name: 'sealtrail_sequencing_pass_duration_seconds',
    help: 'Duration of a sequencing pass, from taking the pool to publishing the signed tree head.',
    buckets: PASS_SECONDS_BUCKETS,
    registers: [this.registry],
  });
  private readonly passFailures = new Counter({
    name: 'sealtrail_sequencing_pass_failures_total',
    help: 'Sequencing passes that failed as a whole (nothing of them was logged).',
    registers: [this.registry],
  });
  private readonly pushback = new Counter({
    name: 'sealtrail_pushback_total',
    help: 'Submissions refused with 503 overloaded because the pool was full.',
    registers: [this.registry],
  });
  private readonly rateLimitedTotal = new Counter({
    name: 'sealtrail_rate_limited_total',
    help: 'Requests refused with 429 rateLimited, by the role of the token over its limit.',
    labelNames: ['role'] as const,
    registers: [this.registry],
  });
  private readonly connectionsDropped = new Counter({
    name: 'sealtrail_connections_dropped_total',
    help: 'Connections closed on arrival because the server already held its maximum number of connections.',
    registers: [this.registry],
  });
  private readonly httpSeconds = new Histogram({
    name: 'sealtrail_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_SECONDS_BUCKETS,
    registers: [this.registry],
  });

  /** Implements the sequencer's observer (see Log.open's `observer`). */
  readonly sequencer: SequencerObserver = {
    passed: (appended, seconds) => {
      if (appended > 0) this.entriesAppended.inc(appended);
      this.passEntries.observe(appended);
      this.passSeconds.observe(seconds);
    },
    failed: () => this.passFailures.inc(),
    refused: () => this.pushback.inc(),
  };

  constructor(options: { processMetrics?: boolean } = {}) {
    // collect() runs with `this` bound to the gauge, so the sources are reached through a closure.
    const sources = (): MetricSources | undefined => this.sources;
    const gauge = (name: string, help: string, read: (s: MetricSources) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const s = sources();
          if (s) this.set(read(s));
        },
      });
    };
    gauge('sealtrail_tree_size', 'Size of the latest published tree.', (s) => s.treeSize());
    gauge('sealtrail_pool_entries', 'Entries waiting in the pool for a sequencing pass.', (s) => s.pendingEntries());
    new Gauge({
      name: 'sealtrail_witness_cosignature_age_seconds',
      help: 'Seconds since each witness last cosigned a checkpoint of this log (absent before its first cosignature).',
      labelNames: ['witness'] as const,
      registers: [this.registry],
      collect() {
        // Rebuilt from the pusher's status at each scrape.
        this.reset();
        const s = sources();
        if (!s?.witnesses) return;
        const now = (s.now ?? Date.now)();
        for (const w of s.witnesses()) {
          if (w.cosigned_at !== null) this.set({ witness: w.url }, Math.max(0, now - w.cosigned_at) / 1000);
        }
      },
    });
    // Process metrics (CPU, memory, event loop lag, GC, handles) under prom-client's standard names.
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Connects the scrape-time gauges to the log they describe. */
  watch(sources: MetricSources): void {
    this.sources = sources;
  }

  /** One finished HTTP request; `route` is the matched route pattern, never the raw path. */
  request(method: string, route: string, status: number, seconds: number): void {
    this.httpSeconds.observe({ method, route, status: String(status) }, seconds);
  }

  /** A request refused because its token's principal was over its rate limit (src/api/ratelimit.ts). */
  rateLimited(role: string): void {
    this.rateLimitedTotal.inc({ role });
  }

  /** A connection closed on arrival: the server was at its connection limit (src/api/server.ts). */
  connectionDropped(): void {
    this.connectionsDropped.inc();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
