/**
 * @module
 * The Anchorer's options, their checks and defaults, and the retry schedule.
 */
import { parseVerifierKey } from '../note/index.js';
import { auint } from '../util/bytes.js';
import type { AnchorSinkConfig } from './anchor-record.js';

export interface AnchorerOptions {
  /** The witness data directory; the anchor store is `<dir>/anchors`. */
  readonly dir: string;
  readonly sinks: readonly AnchorSinkConfig[];
  /** anchor_every_entries: anchor when the log grew by at least this many entries since its last anchor… */
  readonly everyEntries: number;
  /** anchor_every_seconds: …or this many seconds passed since the last anchor and the tree grew. */
  readonly everySeconds: number;
  /** Goes into each record's `witness` field. */
  readonly witnessVerifierKey: string;
  /** Milliseconds since the epoch, for thresholds and timestamps. Retry timers run on the real clock. */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  /** Structured log lines `{level, msg, ...}`; never given a token. */
  readonly log?: (line: Record<string, unknown>) => void;
  /** Retry backoff: first delay and cap, in ms (default 1 s and 5 min); each delay is jittered to 50–100 %. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Bound on one HTTP attempt (default 10 s). */
  readonly attemptTimeoutMs?: number;
  /** How long close() waits for deliveries under way before abandoning them (default 5 s). */
  readonly closeTimeoutMs?: number;
}

export interface ResolvedOptions {
  readonly now: () => number;
  readonly fetch: typeof fetch;
  readonly log: (line: Record<string, unknown>) => void;
  readonly initialMs: number;
  readonly maxMs: number;
  readonly attemptTimeoutMs: number;
  readonly closeTimeoutMs: number;
}

function positiveMs(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds`);
  return value;
}

/** Throws TypeError/RangeError naming the bad option; returns the options with defaults filled in. */
export function resolveOptions(o: AnchorerOptions): ResolvedOptions {
  if (typeof o.dir !== 'string' || o.dir === '') throw new TypeError('dir must be a non-empty path');
  if (!Array.isArray(o.sinks)) throw new TypeError('sinks must be an array');
  auint(o.everyEntries, 'everyEntries');
  if (typeof o.everySeconds !== 'number' || !Number.isFinite(o.everySeconds) || o.everySeconds < 0) {
    throw new RangeError(`everySeconds must be a non-negative number, got ${String(o.everySeconds)}`);
  }
  parseVerifierKey(o.witnessVerifierKey);
  o.sinks.forEach((s, i) => {
    if (s?.type === 'log') parseVerifierKey(s.verifier_key);
    else if (s?.type !== 'file' && s?.type !== 'webhook') throw new TypeError(`sinks[${i}].type must be "log", "file" or "webhook"`);
  });
  const initialMs = positiveMs(o.backoff?.initialMs, 1000, 'backoff.initialMs');
  return {
    now: o.now ?? Date.now,
    fetch: o.fetch ?? globalThis.fetch,
    log: o.log ?? (() => {}),
    initialMs,
    maxMs: Math.max(initialMs, positiveMs(o.backoff?.maxMs, 300_000, 'backoff.maxMs')),
    attemptTimeoutMs: positiveMs(o.attemptTimeoutMs, 10_000, 'attemptTimeoutMs'),
    closeTimeoutMs: positiveMs(o.closeTimeoutMs, 5_000, 'closeTimeoutMs'),
  };
}

/**
 * The wait after the `attempts`-th failure: the base doubles per failure from `initialMs` up to
 * `maxMs`; the wait is 50–100 % of it, so that many witnesses (or many deliveries) that failed
 * together do not retry together.
 */
export function backoffDelay(attempts: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
  return Math.round(base / 2 + (random() * base) / 2);
}
