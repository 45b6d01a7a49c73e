/**
 * @module
 * The retention policy (spec/formats.md §16.5): which record field chooses a record's retention
 * period, the period of each of that field's values, and the default. Pure: no clock, no store.
 *
 *     {"field": "category", "periods": {"block": "7y", "escalation": "7y", "normal": "1y"}, "default": "3y"}
 */
import type { StoredRecordField } from '../storage/types.js';
import { isErased, storedString } from '../storage/types.js';

export const DAY_MS = 86_400_000;

/** Days per unit. A year is 365 days, a week 7: fixed lengths, so a period never depends on a calendar. */
const UNIT_DAYS = { d: 1, w: 7, y: 365 } as const;

/** A retention period as written (`7y`) and its length in days (2555). */
export interface RetentionPeriod {
  readonly text: string;
  readonly days: number;
}

export interface RetentionPolicy {
  /** The top-level record field whose string value chooses the period (default `category`). */
  readonly field: string;
  /** Period per value of `field`. */
  readonly periods: ReadonlyMap<string, RetentionPeriod>;
  /** The period of a record without `field`, with a value not listed, or a value that is not a string. */
  readonly default: RetentionPeriod;
}

export const DEFAULT_POLICY_FIELD = 'category';

/**
 * Fields retention never erases: `tenant_id` (it decides which auditors may read the record, as for
 * an erasure over HTTP), `event_id` (so the record can still be found and its erasure explained),
 * and the policy field itself (it says why the record was erased when it was).
 */
export const ALWAYS_KEPT = ['tenant_id', 'event_id'] as const;

/** A policy refused: `key` names the offending key (`retention.periods.normal`). */
export class RetentionPolicyError extends Error {
  override readonly name = 'RetentionPolicyError';
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`${key}: ${problem}`);
  }
}

const DURATION_HELP = 'write a whole number followed by d (days), w (weeks: 7 days) or y (years: 365 days), e.g. 90d, 12w, 7y';

/** Parses `Nd`, `Nw` or `Ny` (N from 1; at most 1000 years). */
export function parseRetentionPeriod(value: unknown, key: string): RetentionPeriod {
  const m = typeof value === 'string' ? /^([1-9][0-9]{0,5})([dwy])$/.exec(value) : null;
  if (!m) throw new RetentionPolicyError(key, `${JSON.stringify(value)} is not a retention period; ${DURATION_HELP}`);
  const days = Number(m[1]) * UNIT_DAYS[m[2] as keyof typeof UNIT_DAYS];
  if (days > 1000 * 365) throw new RetentionPolicyError(key, `${value} is longer than 1000 years`);
  return { text: value as string, days };
}

const POLICY_KEYS = ['field', 'periods', 'default'];

/**
 * Reads a policy from JSON, refusing anything else with a message that names the bad key under
 * `at` (e.g. `retention.default`). `extraKeys` are keys the caller reads itself (job settings).
 */
export function parseRetentionPolicy(json: unknown, at = 'retention', extraKeys: readonly string[] = []): RetentionPolicy {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RetentionPolicyError(at, 'must be a JSON object {"field", "periods", "default"}');
  }
  const top = json as Record<string, unknown>;
  const accepted = [...POLICY_KEYS, ...extraKeys];
  for (const key of Object.keys(top)) {
    if (!accepted.includes(key)) throw new RetentionPolicyError(`${at}.${key}`, `unknown key; accepted: ${accepted.join(', ')}`);
  }
  const field = top['field'] ?? DEFAULT_POLICY_FIELD;
  if (typeof field !== 'string' || field.length === 0 || field.length > 256) {
    throw new RetentionPolicyError(`${at}.field`, 'must be the name of a top-level record field, 1 to 256 characters');
  }
  const list = top['periods'] ?? {};
  if (typeof list !== 'object' || list === null || Array.isArray(list)) {
    throw new RetentionPolicyError(`${at}.periods`, 'must be an object mapping values of the field to periods, e.g. {"normal": "1y"}');
  }
  const periods = new Map<string, RetentionPeriod>();
  for (const [value, period] of Object.entries(list as Record<string, unknown>)) {
    periods.set(value, parseRetentionPeriod(period, `${at}.periods.${value}`));
  }
  if (top['default'] === undefined) throw new RetentionPolicyError(`${at}.default`, `is required: the period of records without a listed ${field}; ${DURATION_HELP}`);
  return { field, periods, default: parseRetentionPeriod(top['default'], `${at}.default`) };
}

/** The period that applies to a record: by its policy field's string value, else the default. */
export function periodOf(policy: RetentionPolicy, fields: readonly StoredRecordField[]): RetentionPeriod {
  const value = storedString(fields, policy.field);
  return (value !== undefined ? policy.periods.get(value) : undefined) ?? policy.default;
}

/** The open fields retention erases from an expired record: all but ALWAYS_KEPT and the policy field. */
export function fieldsToErase(policy: RetentionPolicy, fields: readonly StoredRecordField[]): string[] {
  const kept = new Set<string>([...ALWAYS_KEPT, policy.field]);
  return fields.filter((f) => !isErased(f) && !kept.has(f.name)).map((f) => f.name);
}

/** The distinct period lengths of a policy, in days, shortest first. */
export function periodDays(policy: RetentionPolicy): number[] {
  return [...new Set([policy.default.days, ...[...policy.periods.values()].map((p) => p.days)])].sort((a, b) => a - b);
}

/**
 * Identifies what a policy decides (field, and the period in days of each value and the default),
 * so the job can tell when the policy behind its stored cursors has changed.
 */
export function policyFingerprint(policy: RetentionPolicy): string {
  const periods = [...policy.periods].map(([value, p]) => [value, p.days] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({ field: policy.field, periods, default: policy.default.days });
}
