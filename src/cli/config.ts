/**
 * @module
 * `sealtrail serve --config FILE`: a JSON file for what does not fit on a command line. Refused at
 * start, naming the bad key, when it is not exactly what is accepted.
 *
 *     {
 *       "witnesses": [{ "url": "https://witness.example", "verifier_key": "<name>+<id>+<base64(0x04||key)>" }],
 *       "witness_push_interval_seconds": 5,
 *       "retention": {"field": "category", "periods": {"normal": "1y"}, "default": "3y",
 *                     "interval_seconds": 3600, "max_erasures_per_run": 100},
 *       "http": {"request_timeout_seconds": 30, "headers_timeout_seconds": 10, "keep_alive_timeout_seconds": 5,
 *                "max_header_bytes": 16384, "max_connections": 1000},
 *       "rate_limits": {"submitter": {"per_second": 1000, "burst": 2000}, "auditor": {"per_second": 0}},
 *       "tls": {"cert": "server.pem", "key": "server.key"}
 *     }
 *
 * The file names no secret itself (the TLS key is a file of its own, checked like every key), so it
 * may be readable by others.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEFAULT_SERVER_LIMITS } from '../api/server.js';
import type { ServerLimits } from '../api/server.js';
import { DEFAULT_RATE_LIMITS } from '../api/ratelimit.js';
import type { RateLimits, RoleRate } from '../api/ratelimit.js';
import { ROLES } from '../auth/tokens.js';
import type { Role } from '../storage/types.js';
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
  /** The HTTP server's limits (key `http`); absent: DEFAULT_SERVER_LIMITS. */
  readonly http?: ServerLimits;
  /** Per-role rate limits (key `rate_limits`), roles turned off left out; absent: DEFAULT_RATE_LIMITS. */
  readonly rateLimits?: RateLimits;
  /** Serve HTTPS with these files (key `tls`), resolved against the config file's directory. */
  readonly tls?: TlsConfig;
}

/** PEM files: the certificate chain, and its private key (a secret file, mode 0600). */
export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
}

export const DEFAULT_SERVE_CONFIG: ServeConfig = { witnesses: [], witnessPushIntervalMs: 5000 };

const TOP_KEYS = ['witnesses', 'witness_push_interval_seconds', 'retention', 'http', 'rate_limits', 'tls'];
const HTTP_KEYS = ['request_timeout_seconds', 'headers_timeout_seconds', 'keep_alive_timeout_seconds', 'max_header_bytes', 'max_connections'];
const RATE_KEYS = ['per_second', 'burst'];
const TLS_KEYS = ['cert', 'key'];
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
  const config = parseServeConfig(json, path);
  if (!config.tls) return config;
  // Like a witness's anchor files: relative to the config file, not to wherever serve is started.
  const base = dirname(resolve(path));
  return { ...config, tls: { certFile: resolve(base, config.tls.certFile), keyFile: resolve(base, config.tls.keyFile) } };
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
  const http = top['http'] === undefined ? undefined : parseHttpConfig(top['http'], fail);
  const rateLimits = top['rate_limits'] === undefined ? undefined : parseRateLimits(top['rate_limits'], fail);
  const tls = top['tls'] === undefined ? undefined : parseTlsConfig(top['tls'], fail);
  return {
    witnesses,
    witnessPushIntervalMs: Math.round((interval as number) * 1000),
    ...(retention ? { retention } : {}),
    ...(http ? { http } : {}),
    ...(rateLimits ? { rateLimits } : {}),
    ...(tls ? { tls } : {}),
  };
}

type Fail = (key: string, message: string) => never;

function objectOf(json: unknown, at: string, keys: readonly string[], fail: Fail): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(at, `must be a JSON object with any of: ${keys.join(', ')}`);
  const entry = json as Record<string, unknown>;
  for (const key of Object.keys(entry)) if (!keys.includes(key)) fail(`${at}.${key}`, `unknown key; accepted: ${keys.join(', ')}`);
  return entry;
}

/** The `http` key: the HTTP server's limits (src/api/server.ts); each key optional, the rest default. */
export function parseHttpConfig(json: unknown, fail: Fail): ServerLimits {
  const entry = objectOf(json, 'http', HTTP_KEYS, fail);
  const seconds = (key: string, fallbackMs: number): number => {
    const value = entry[key] ?? fallbackMs / 1000;
    if (typeof value !== 'number' || !(value >= 0.1 && value <= 3600)) fail(`http.${key}`, 'must be a number of seconds from 0.1 to 3600');
    return Math.round((value as number) * 1000);
  };
  const whole = (key: string, fallback: number, min: number, max: number): number => {
    const value = entry[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(`http.${key}`, `must be a whole number from ${min} to ${max}`);
    return value as number;
  };
  const limits: ServerLimits = {
    requestTimeoutMs: seconds('request_timeout_seconds', DEFAULT_SERVER_LIMITS.requestTimeoutMs),
    headersTimeoutMs: seconds('headers_timeout_seconds', DEFAULT_SERVER_LIMITS.headersTimeoutMs),
    keepAliveTimeoutMs: seconds('keep_alive_timeout_seconds', DEFAULT_SERVER_LIMITS.keepAliveTimeoutMs),
    maxHeaderBytes: whole('max_header_bytes', DEFAULT_SERVER_LIMITS.maxHeaderBytes, 1024, 1024 * 1024),
    maxConnections: whole('max_connections', DEFAULT_SERVER_LIMITS.maxConnections, 1, 1_000_000),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    fail('http.headers_timeout_seconds', `must not exceed request_timeout_seconds (${limits.requestTimeoutMs / 1000}): the headers are part of the request`);
  }
  return limits;
}

/**
 * The `rate_limits` key: per role `{"per_second", "burst"}` (src/api/ratelimit.ts); a role left out
 * keeps its default, `"per_second": 0` turns its limit off, and `burst` defaults to twice the rate.
 */
export function parseRateLimits(json: unknown, fail: Fail): RateLimits {
  const entry = objectOf(json, 'rate_limits', ROLES, fail);
  const limits: Partial<Record<Role, RoleRate>> = {};
  for (const role of ROLES) {
    if (entry[role] === undefined) {
      const fallback = DEFAULT_RATE_LIMITS[role];
      if (fallback) limits[role] = fallback;
      continue;
    }
    const at = `rate_limits.${role}`;
    const rate = objectOf(entry[role], at, RATE_KEYS, fail);
    const perSecond = rate['per_second'];
    if (typeof perSecond !== 'number' || !(perSecond >= 0 && perSecond <= 1_000_000)) {
      fail(`${at}.per_second`, `must be a number from 0 (no limit) to 1000000 ${role === 'submitter' ? 'entries' : 'requests'} per second`);
    }
    if (perSecond === 0) {
      if (rate['burst'] !== undefined) fail(`${at}.burst`, 'applies only to a limit: with "per_second": 0 the role is not limited');
      continue;
    }
    const burst = rate['burst'] ?? Math.max(1, Math.ceil((perSecond as number) * 2));
    if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1 || burst > 1_000_000_000) {
      fail(`${at}.burst`, 'must be a whole number from 1 to 1000000000 (how many may be spent at once)');
    }
    limits[role] = { perSecond: perSecond as number, burst: burst as number };
  }
  return limits;
}

/** The `tls` key: both files, or no key at all. */
export function parseTlsConfig(json: unknown, fail: Fail): TlsConfig {
  const entry = objectOf(json, 'tls', TLS_KEYS, fail);
  const file = (key: string, what: string): string => {
    const value = entry[key];
    if (typeof value !== 'string' || value.length === 0) fail(`tls.${key}`, `is required with the other: the path of ${what}`);
    return value as string;
  };
  return { certFile: file('cert', 'the PEM certificate chain'), keyFile: file('key', 'its PEM private key (mode 0600)') };
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
