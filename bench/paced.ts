/**
 * @module
 * An open-loop load generator for latency at a given rate (P4): request i is due at t0 + i / rate,
 * sent over a pool of keep-alive connections, and its latency runs from when it was due to when its
 * response ended, so time spent waiting for a free connection counts (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: it gives each connection a quota per second, which the
 * connection spends back to back at the start of each second before it pauses; "half the rate" then
 * means full load for half of every second, and latency is that of a saturated server.
 */
import { Agent, request } from 'node:http';

export interface PacedOptions {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Requests per second, evenly spaced. */
  readonly rate: number;
  readonly durationS: number;
  /** Keep-alive connections at most; a request due while all are busy waits for one (and its wait counts). */
  readonly connections: number;
}

export interface PacedResult {
  readonly sent: number;
  readonly ok: number;
  /** Responses other than 2xx by status, e.g. "503×12"; transport errors as "error×N". */
  readonly failures: string;
  /** Latencies of the 2xx responses, in milliseconds, ascending. */
  readonly latencies: readonly number[];
  readonly seconds: number;
}

/** The `q` quantile (0..1) of ascending `values`, by the nearest-rank method. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  return values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))]!;
}

export async function paced(options: PacedOptions): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const url = new URL(options.url);
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers = { ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
  const interval = 1000 / options.rate;
  const total = Math.max(1, Math.round(options.rate * options.durationS));
  const latencies: number[] = [];
  const failed = new Map<string, number>();
  const fail = (what: string): void => {
    failed.set(what, (failed.get(what) ?? 0) + 1);
  };
  let done = 0;
  let sent = 0;
  const started = performance.now();

  await new Promise<void>((finish) => {
    const send = (due: number): void => {
      const req = request(
        { hostname: url.hostname, port: url.port, path: url.pathname + url.search, method: options.method, headers, agent },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) latencies.push(performance.now() - due);
            else fail(String(status));
            if (++done === total) finish();
          });
        },
      );
      req.on('error', () => {
        fail('error');
        if (++done === total) finish();
      });
      req.end(body);
    };
    // Every millisecond or so, send what has fallen due; a late tick sends what it missed, each
    // request still timed from when it was due.
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && started + sent * interval <= now) send(started + sent++ * interval);
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, started + sent * interval - performance.now())));
    };
    tick();
  });
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    sent,
    ok: latencies.length,
    failures: [...failed].map(([what, n]) => `${what}×${n}`).join(', '),
    latencies,
    seconds: (performance.now() - started) / 1000,
  };
}
