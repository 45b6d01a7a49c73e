/**
 * @module
 * The witness configuration file (JSON):
 *
 *     {"logs": [{"origin", "verifier_key", "url"}],
 *      "anchors": [{"type": "log", "url", "token", "verifier_key"} | {"type": "file", "path"} | {"type": "webhook", "url"}],
 *      "anchor_every_entries": 10000, "anchor_every_seconds": 600}
 *
 * Everything is checked at start, and a bad file is refused with a message that names the bad key
 * (`logs[1].verifier_key: ...`). Unknown keys are refused too: a misspelt key silently ignored is a
 * setting the operator believes in and does not have. The types keep the file's spelling, so that
 * what an operator reads in the file is what the code reads.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { NoteError, SIGNATURE_TYPE_ED25519, parseVerifierKey } from '../note/index.js';
import type { Ed25519NoteVerifier } from '../note/index.js';
import { checkSecretFile } from '../util/secret-file.js';

/** A log this witness cosigns. */
export interface WitnessLogConfig {
  /** The checkpoint origin; also the name of the log's key. */
  readonly origin: string;
  /** The log's verifier key (type 0x01, named `origin`). */
  readonly verifier_key: string;
  /** The log's base URL (`<url>/checkpoint`), for poll mode; a log without one is push-only. */
  readonly url?: string;
  /** `verifier_key`, parsed. */
  readonly verifier: Ed25519NoteVerifier;
}

/** Where anchor records (PROTOCOL §7) go: another sealtrail log, a JSON Lines file, a webhook. */
export type AnchorSinkConfig =
  | { readonly type: 'log'; readonly url: string; readonly token: string; readonly verifier_key: string }
  | { readonly type: 'file'; readonly path: string }
  | { readonly type: 'webhook'; readonly url: string };

export interface WitnessConfig {
  readonly logs: readonly WitnessLogConfig[];
  readonly anchors: readonly AnchorSinkConfig[];
  /** Anchor once the cosigned tree has grown by this many entries since the last anchor. */
  readonly anchor_every_entries: number;
  /** …or once this many seconds have passed since the last anchor. */
  readonly anchor_every_seconds: number;
}

export const DEFAULT_ANCHOR_EVERY_ENTRIES = 10_000;
export const DEFAULT_ANCHOR_EVERY_SECONDS = 600;

/** A configuration that cannot be used; the message starts with the key at fault. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** Where in the file, e.g. `logs[1].verifier_key`; empty for the file as a whole. */
    readonly key: string,
    problem: string,
  ) {
    super(key ? `${key}: ${problem}` : problem);
  }
}

/**
 * Reads and checks a configuration file. A file anchor's relative `path` is taken relative to the
 * configuration file, not to wherever the witness happens to be started. Throws ConfigError (or a
 * file system error).
 */
export async function loadWitnessConfig(file: string): Promise<WitnessConfig> {
  const text = await readFile(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  const config = parseWitnessConfig(json);
  // A log anchor's token lets whoever reads it submit to that log: the file is then a secret file.
  if (config.anchors.some((a) => a.type === 'log')) await checkSecretFile(file, 'the configuration (it holds an anchor token)');
  const base = dirname(resolve(file));
  return {
    ...config,
    anchors: config.anchors.map((a) => (a.type === 'file' ? { ...a, path: resolve(base, a.path) } : a)),
  };
}

const TOP_KEYS = ['logs', 'anchors', 'anchor_every_entries', 'anchor_every_seconds'] as const;

/** Checks a parsed configuration. Throws ConfigError naming the first bad key. */
export function parseWitnessConfig(json: unknown): WitnessConfig {
  const top = object(json, '', 'the configuration must be a JSON object');
  onlyKeys(top, TOP_KEYS, '');
  if (!('logs' in top)) throw new ConfigError('logs', 'is required: the logs this witness cosigns, [{"origin", "verifier_key", "url"}]');
  const logsValue = top['logs'];
  if (!Array.isArray(logsValue) || logsValue.length === 0) {
    throw new ConfigError('logs', 'must be a non-empty array of {"origin", "verifier_key", "url"}');
  }
  const logs = logsValue.map((value, i) => parseLog(value, `logs[${i}]`));
  const seen = new Map<string, number>();
  logs.forEach((log, i) => {
    const first = seen.get(log.origin);
    if (first !== undefined) throw new ConfigError(`logs[${i}].origin`, `${JSON.stringify(log.origin)} is already configured as logs[${first}]; each origin once`);
    seen.set(log.origin, i);
  });

  const anchorsValue = top['anchors'] ?? [];
  if (!Array.isArray(anchorsValue)) throw new ConfigError('anchors', 'must be an array of anchor sinks (types log, file, webhook)');
  const anchors = anchorsValue.map((value, i) => parseAnchor(value, `anchors[${i}]`));
  const sinkIndex = new Map<string, number>();
  anchors.forEach((a, i) => {
    const identity = a.type === 'file' ? `file ${a.path}` : `${a.type} ${a.url}`;
    const first = sinkIndex.get(identity);
    if (first !== undefined) throw new ConfigError(`anchors[${i}]`, `repeats anchors[${first}] (${a.type === 'file' ? a.path : a.type + ' sink'})`);
    sinkIndex.set(identity, i);
  });

  return {
    logs,
    anchors,
    anchor_every_entries: positive(top['anchor_every_entries'], 'anchor_every_entries', DEFAULT_ANCHOR_EVERY_ENTRIES),
    anchor_every_seconds: positive(top['anchor_every_seconds'], 'anchor_every_seconds', DEFAULT_ANCHOR_EVERY_SECONDS),
  };
}

function parseLog(value: unknown, at: string): WitnessLogConfig {
  const entry = object(value, at, 'must be an object {"origin", "verifier_key", "url"}');
  onlyKeys(entry, ['origin', 'verifier_key', 'url'], at);
  const origin = string(entry['origin'], `${at}.origin`, 'the checkpoint origin of the log');
  const verifierKey = string(entry['verifier_key'], `${at}.verifier_key`, "the log's verifier key, <name>+<key ID>+<base64>");
  const verifier = logKey(verifierKey, `${at}.verifier_key`);
  // PROTOCOL §3: the log's key name is the origin. A key named otherwise can never verify a
  // checkpoint of this origin, so say it now rather than 403 every request.
  if (verifier.name !== origin) {
    throw new ConfigError(`${at}.verifier_key`, `the key is named ${JSON.stringify(verifier.name)}, not the origin ${JSON.stringify(origin)}; a log's key name is its origin`);
  }
  const url = entry['url'] === undefined ? undefined : httpUrl(entry['url'], `${at}.url`);
  return url === undefined ? { origin, verifier_key: verifierKey, verifier } : { origin, verifier_key: verifierKey, url, verifier };
}

function parseAnchor(value: unknown, at: string): AnchorSinkConfig {
  const entry = object(value, at, 'must be an object with a "type": "log", "file" or "webhook"');
  const type = entry['type'];
  switch (type) {
    case 'log': {
      onlyKeys(entry, ['type', 'url', 'token', 'verifier_key'], at);
      const url = httpUrl(entry['url'], `${at}.url`);
      const token = string(entry['token'], `${at}.token`, 'a submitter token of that log');
      if (!/^[\x21-\x7e]+$/.test(token)) throw new ConfigError(`${at}.token`, 'must be visible ASCII without spaces (a bearer token)');
      const verifierKey = string(entry['verifier_key'], `${at}.verifier_key`, "that log's verifier key");
      logKey(verifierKey, `${at}.verifier_key`);
      return { type, url, token, verifier_key: verifierKey };
    }
    case 'file': {
      onlyKeys(entry, ['type', 'path'], at);
      return { type, path: string(entry['path'], `${at}.path`, 'the JSON Lines file to append anchor records to') };
    }
    case 'webhook': {
      onlyKeys(entry, ['type', 'url'], at);
      return { type, url: httpUrl(entry['url'], `${at}.url`, true) };
    }
    default:
      throw new ConfigError(`${at}.type`, `must be "log", "file" or "webhook", got ${JSON.stringify(type)}`);
  }
}

function logKey(text: string, at: string): Ed25519NoteVerifier {
  let verifier: Ed25519NoteVerifier;
  try {
    verifier = parseVerifierKey(text);
  } catch (e) {
    if (e instanceof NoteError) throw new ConfigError(at, e.message);
    throw e;
  }
  if (verifier.type !== SIGNATURE_TYPE_ED25519) {
    throw new ConfigError(at, `is a key of type 0x${verifier.type.toString(16).padStart(2, '0')}; a log's key is type 0x01 (Ed25519)`);
  }
  return verifier;
}

function object(value: unknown, at: string, problem: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(at, problem);
  return value as Record<string, unknown>;
}

function onlyKeys(entry: Record<string, unknown>, allowed: readonly string[], at: string): void {
  for (const key of Object.keys(entry)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(at ? `${at}.${key}` : key, `unknown key; accepted here: ${allowed.join(', ')}`);
    }
  }
}

function string(value: unknown, at: string, what: string): string {
  if (value === undefined) throw new ConfigError(at, `is required: ${what}`);
  if (typeof value !== 'string' || value.length === 0) throw new ConfigError(at, `must be a non-empty string: ${what}`);
  return value;
}

/** An http(s) base URL without query or fragment; returned without a trailing slash. */
/** An http(s) URL; a log's base URL takes no query (paths are appended), a webhook's may have one. */
function httpUrl(value: unknown, at: string, allowQuery = false): string {
  const text = string(value, at, 'an http:// or https:// URL');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(at, `${JSON.stringify(text)} is not a URL; give an http:// or https:// URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(at, `must be an http:// or https:// URL, got ${url.protocol}`);
  if (url.hash || (url.search && !allowQuery)) throw new ConfigError(at, 'must not have a query or fragment: paths are appended to it');
  return allowQuery ? text : text.replace(/\/+$/, '');
}

function positive(value: unknown, at: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(at, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}
