import { describe, expect, it } from 'vitest';
import { ConfigError, parseServeConfig } from '../cli/config.js';
import type { StoredRecordField } from '../storage/types.js';
import type { Log } from './log.js';
import { RETENTION_JOB, RetentionJob } from './retention.js';
import { fieldsToErase, parseRetentionPeriod, parseRetentionPolicy, periodDays, periodOf, policyFingerprint } from './retention-policy.js';

const open = (name: string, value: unknown): StoredRecordField => ({ name, jcs: JSON.stringify(value), salt: new Uint8Array(32) });
const erased = (name: string): StoredRecordField => ({ name, commitment: new Uint8Array(32), erasureIndex: 9 });

describe('retention periods', () => {
  it.each([
    ['1d', 1],
    ['90d', 90],
    ['12w', 84],
    ['1y', 365],
    ['7y', 2555],
  ])('%s is %i days (a year is 365 days, a week 7)', (text, days) => {
    expect(parseRetentionPeriod(text, 'k')).toEqual({ text, days });
  });

  it.each(['0d', '1m', '1Y', 'y', '1.5y', ' 1y', '01y', 7, null, '1001y'])('refuses %j naming the key', (value) => {
    expect(() => parseRetentionPeriod(value, 'retention.periods.normal')).toThrow(/^retention\.periods\.normal: /);
  });
});

describe('retention policy', () => {
  const policy = parseRetentionPolicy({ periods: { block: '7y', escalation: '7y', normal: '1y' }, default: '3y' });

  it('defaults the field to category; chooses by the field\'s string value, else the default', () => {
    expect(policy.field).toBe('category');
    expect(periodOf(policy, [open('category', 'normal')]).days).toBe(365);
    expect(periodOf(policy, [open('category', 'block')]).days).toBe(2555);
    expect(periodOf(policy, [open('category', 'other')]).days).toBe(1095);
    expect(periodOf(policy, [open('category', 42)]).days).toBe(1095);
    expect(periodOf(policy, [open('model', 'x')]).days).toBe(1095);
    // An erased policy field reads as absent.
    expect(periodOf(policy, [erased('category')]).days).toBe(1095);
    expect(periodDays(policy)).toEqual([365, 1095, 2555]);
  });

  it('erases every open field but tenant_id, event_id and the policy field', () => {
    const fields = [open('event_id', 'e'), open('tenant_id', 't'), open('category', 'normal'), open('model', 'm'), erased('user'), open('cost', 1)];
    expect(fieldsToErase(policy, fields)).toEqual(['model', 'cost']);
    expect(fieldsToErase(policy, [open('tenant_id', 't'), erased('model')])).toEqual([]);
  });

  it('has a fingerprint that changes with what it decides, not with how periods are written', () => {
    const same = parseRetentionPolicy({ field: 'category', periods: { normal: '365d', escalation: '7y', block: '7y' }, default: '156w' });
    expect(policyFingerprint(same)).not.toBe(policyFingerprint(policy)); // 156 weeks is 1092 days, not 3 years
    const equal = parseRetentionPolicy({ field: 'category', periods: { normal: '365d', escalation: '2555d', block: '7y' }, default: '3y' });
    expect(policyFingerprint(equal)).toBe(policyFingerprint(policy));
  });

  it.each([
    [[], /^retention: must be a JSON object/],
    [{ default: '3y', extra: 1 }, /^retention\.extra: unknown key; accepted: field, periods, default/],
    [{ field: '', default: '3y' }, /^retention\.field: must be the name/],
    [{ periods: [], default: '3y' }, /^retention\.periods: must be an object/],
    [{ periods: { normal: '1 y' }, default: '3y' }, /^retention\.periods\.normal: "1 y" is not a retention period/],
    [{ periods: { normal: '1y' } }, /^retention\.default: is required/],
    [{ default: 3 }, /^retention\.default: 3 is not a retention period/],
  ])('refuses %j naming the bad key', (json, message) => {
    expect(() => parseRetentionPolicy(json)).toThrow(message);
  });
});

describe('serve --config "retention"', () => {
  it('takes a policy, the interval and the per-run limit; keeps the other keys working', () => {
    const config = parseServeConfig({ witness_push_interval_seconds: 2, retention: { periods: { normal: '1y' }, default: '3y', interval_seconds: 60, max_erasures_per_run: 5 } });
    expect(config.witnessPushIntervalMs).toBe(2000);
    expect(config.retention).toMatchObject({ intervalMs: 60_000, maxErasuresPerRun: 5, policy: { field: 'category', default: { days: 1095 } } });
    expect(parseServeConfig({ retention: { default: '1y' } }).retention).toMatchObject({ intervalMs: 3_600_000, maxErasuresPerRun: 100 });
    expect(parseServeConfig({}).retention).toBeUndefined();
  });

  it.each([
    [{ retention: { default: '1y', interval_seconds: 0 } }, /c\.json: retention\.interval_seconds: must be a number of seconds/],
    [{ retention: { default: '1y', max_erasures_per_run: 1.5 } }, /c\.json: retention\.max_erasures_per_run: must be a whole number/],
    [{ retention: { default: '1y', every: 1 } }, /c\.json: retention\.every: unknown key; accepted: field, periods, default, interval_seconds, max_erasures_per_run/],
    [{ retention: { periods: { block: '7x' }, default: '1y' } }, /c\.json: retention\.periods\.block: "7x" is not a retention period/],
  ])('refuses %j naming the bad key', (json, message) => {
    expect(() => parseServeConfig(json, 'c.json')).toThrow(ConfigError);
    expect(() => parseServeConfig(json, 'c.json')).toThrow(message);
  });
});

describe('retention cursors', () => {
  const memoryStore = () => {
    const states = new Map<string, Uint8Array>();
    return { readJobState: async (job: string) => states.get(job), putJobState: async (job: string, s: Uint8Array) => void states.set(job, s), states };
  };
  const policyA = parseRetentionPolicy({ periods: { normal: '1y', block: '7y' }, default: '3y' });
  const policyB = parseRetentionPolicy({ periods: { normal: '2y', block: '7y' }, default: '3y' });
  const log = {} as Log; // cursors() reads only the store

  it('start at 0, and restart from the lowest stored cursor when the policy changes', async () => {
    const store = memoryStore();
    expect([...(await new RetentionJob({ log, store, policy: policyA }).cursors())]).toEqual([[365, 0], [1095, 0], [2555, 0]]);
    const state = { policy: policyFingerprint(policyA), cursors: { '365': 40, '1095': 25, '2555': 10 } };
    store.states.set(RETENTION_JOB, Buffer.from(JSON.stringify(state)));
    expect([...(await new RetentionJob({ log, store, policy: policyA }).cursors())]).toEqual([[365, 40], [1095, 25], [2555, 10]]);
    // Under another policy nothing above 10 is known to be done.
    expect([...(await new RetentionJob({ log, store, policy: policyB }).cursors())]).toEqual([[730, 10], [1095, 10], [2555, 10]]);
  });

  it('refuses a damaged state', async () => {
    const store = memoryStore();
    store.states.set(RETENTION_JOB, Buffer.from(JSON.stringify({ policy: 'x', cursors: { '365': -1 } })));
    await expect(new RetentionJob({ log, store, policy: policyA }).cursors()).rejects.toThrow(/retention job state/);
  });
});
