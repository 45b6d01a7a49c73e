/**
 * @module
 * `sealtrail serve --config FILE`: a JSON file for what does not fit on a command line. Refused at
 * start, naming the bad key, when it is not exactly what is accepted.
 *
 *     {
 *       "witnesses": [{ "url": "https://witness.example", "verifier_key": "<name>+<id>+<base64(0x04||key)>" }],
 *       "witness_push_interval_seconds": 5,
 *       "retention": {"field": "category", "periods": {"normal": "1y"}, "default": "3y",
 *                     "interval_seconds": 3600, "max_erasures_per_run": 100}
 *     }
 */
import { readFile } from 'node:fs/promises';
import { parseVerifierKey } from '../note/index.js';
import type { WitnessConfig } from '../log/witnesses.js';
import { DEFAULT_MAX_ERASURES_PER_RUN } from '../log/retention.js';
import { RetentionPolicyError, parseRetentionPolicy } from '../log/retention-policy.js';
import type { RetentionPolicy } from '../log/retention-policy.js';

/** The retention job's settings (spec/formats.md §16.5): its policy, how often it runs, how much per run. */
export interface RetentionConfig {
  readonly policy: RetentionPolicy;
  readonly intervalMs: number;
  readonly maxErasuresPerRun: number;
}

export const DEFAULT_RETENTION_INTERVAL_SECONDS = 3600;
const RETENTION_JOB_KEYS = ['interval_seconds', 'max_erasures_per_run'];

export interface ServeConfig {
  readonly witnesses: readonly WitnessConfig[];
  readonly witnessPushIntervalMs: number;
  /** Absent: no retention job runs. */
  readonly retention?: RetentionConfig;
}

export const DEFAULT_SERVE_CONFIG: ServeConfig = { witnesses: [], witnessPushIntervalMs: 5000 };

const TOP_KEYS = ['witnesses', 'witness_push_interval_seconds', 'retention'];
const WITNESS_KEYS = ['url', 'verifier_key'];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export async function loadServeConfig(path: string): Promise<ServeConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${path}: cannot read it as JSON (${(e as Error).message})`);
  }
  return parseServeConfig(json, path);
}

export function parseServeConfig(json: unknown, source = 'config'): ServeConfig {
  const fail = (key: string, message: string): never => {
    throw new ConfigError(`${source}: ${key}: ${message}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('(top level)', 'must be a JSON object');
  const top = json as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!TOP_KEYS.includes(key)) fail(key, `unknown key; accepted: ${TOP_KEYS.join(', ')}`);

  const interval = top['witness_push_interval_seconds'] ?? DEFAULT_SERVE_CONFIG.witnessPushIntervalMs / 1000;
  if (typeof interval !== 'number' || !(interval >= 0.1 && interval <= 3600)) {
    fail('witness_push_interval_seconds', 'must be a number of seconds from 0.1 to 3600');
  }

  const list = top['witnesses'] ?? [];
  if (!Array.isArray(list)) fail('witnesses', 'must be an array of {"url", "verifier_key"}');
  const witnesses = (list as unknown[]).map((w, i): WitnessConfig => {
    const at = `witnesses[${i}]`;
    if (typeof w !== 'object' || w === null || Array.isArray(w)) fail(at, 'must be an object {"url", "verifier_key"}');
    const entry = w as Record<string, unknown>;
    for (const key of Object.keys(entry)) if (!WITNESS_KEYS.includes(key)) fail(`${at}.${key}`, `unknown key; accepted: ${WITNESS_KEYS.join(', ')}`);
    const url = entry['url'];
    if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url)) fail(`${at}.url`, 'must be an http:// or https:// URL');
    const key = entry['verifier_key'];
    if (typeof key !== 'string') fail(`${at}.verifier_key`, 'must be a witness verifier key <name>+<8 hex>+<base64(0x04 || public key)>');
    try {
      if (parseVerifierKey(key as string).type !== 0x04) fail(`${at}.verifier_key`, 'is a log key (type 0x01); a witness key has type 0x04');
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      fail(`${at}.verifier_key`, (e as Error).message);
    }
    return { url: url as string, verifierKey: key as string };
  });
  const keys = new Set(witnesses.map((w) => w.verifierKey));
  if (keys.size !== witnesses.length) fail('witnesses', 'lists the same verifier key twice');
  const retention = top['retention'] === undefined ? undefined : parseRetentionConfig(top['retention'], fail);
  return { witnesses, witnessPushIntervalMs: Math.round((interval as number) * 1000), ...(retention ? { retention } : {}) };
}

/** The `retention` key: a policy (retention-policy.ts) plus the job's own two settings. */
export function parseRetentionConfig(json: unknown, fail: (key: string, message: string) => never): RetentionConfig {
  let policy: RetentionPolicy;
  try {
    policy = parseRetentionPolicy(json, 'retention', RETENTION_JOB_KEYS);
  } catch (e) {
    if (e instanceof RetentionPolicyError) fail(e.key, e.problem);
    throw e;
  }
  const top = json as Record<string, unknown>;
  const interval = top['interval_seconds'] ?? DEFAULT_RETENTION_INTERVAL_SECONDS;
  if (typeof interval !== 'number' || !(interval >= 1 && interval <= 7 * 86400)) {
    fail('retention.interval_seconds', 'must be a number of seconds from 1 to 604800 (a week)');
  }
  const max = top['max_erasures_per_run'] ?? DEFAULT_MAX_ERASURES_PER_RUN;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 100_000) {
    fail('retention.max_erasures_per_run', 'must be a whole number from 1 to 100000');
  }
  return { policy: policy!, intervalMs: Math.round((interval as number) * 1000), maxErasuresPerRun: max as number };
}
