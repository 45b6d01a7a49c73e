/**
 * @module
 * Durations on the command line: a positive integer and a unit, e.g. 500ms, 30s, 5m, 1h.
 */
import { UsageError } from '../../cli/usage.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds; `fallback` when the flag is absent. Throws UsageError naming the flag. */
export function durationFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const m = /^([1-9][0-9]{0,8})(ms|s|m|h)$/.exec(value);
  if (!m) throw new UsageError(`${flag} must be a positive integer with a unit (ms, s, m or h), e.g. 30s; got ${JSON.stringify(value)}`);
  return Number(m[1]) * UNITS[m[2]!]!;
}
