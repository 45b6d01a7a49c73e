/**
 * Test harness: a real log on a real LevelDB in a temp directory, served over real HTTP on port 0.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { createApp } from '../src/api/app.js';
import { listen } from '../src/api/server.js';
import type { RunningServer } from '../src/api/server.js';
import { Authenticator, createToken } from '../src/auth/tokens.js';
import { loadKeys, initLog, dataPaths, defaultMasterKeyPath, openStore } from '../src/cli/datadir.js';
import { Log } from '../src/log/log.js';
import type { SequencerOptions } from '../src/log/sequencer.js';
import { RetentionJob } from '../src/log/retention.js';
import type { RetentionPolicy } from '../src/log/retention-policy.js';
import { WitnessPusher } from '../src/log/witnesses.js';
import type { WitnessConfig } from '../src/log/witnesses.js';
import { logId } from '../src/note/index.js';
import { Metrics, sequencerObserver, silentLogger } from '../src/observability/index.js';
import type { Logger } from '../src/observability/index.js';
import { DEFAULT_RECORD_LIMITS } from '../src/record/index.js';
import type { RecordLimits } from '../src/record/index.js';
import type { LevelStore } from '../src/storage/level.js';
import type { Role } from '../src/storage/types.js';
import { toBase64 } from '../src/util/bytes.js';

/**
 * A temp data directory. `remove` deletes it and the master key that initLog creates beside it
 * (DIR.master-key: never inside the data directory).
 */
export async function tempDir(prefix = 'sealtrail-test-'): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => removeDataDir(path) };
}

/** Deletes a data directory and the master key beside it. */
/** The raw LevelDB of a stopped log's data directory. */
export type RawDb = Level<Buffer, Buffer>;

/** Runs `f` on the raw LevelDB of the stopped log in `dir` (to damage it, or to look inside), then closes it. */
export async function withRawDb(dir: string, f: (db: RawDb) => Promise<void>): Promise<void> {
  const db = new Level<Buffer, Buffer>(dataPaths(dir).db, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  try {
    await f(db);
  } finally {
    await db.close();
  }
}

export async function removeDataDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await rm(defaultMasterKeyPath(dir), { force: true });
}

export interface TestLog {
  readonly dir: string;
  readonly url: string;
  readonly log: Log;
  readonly verifierKey: string;
  readonly tokens: Record<string, string>;
  readonly pusher: WitnessPusher;
  /** The log's store (records sealed under the master key at DIR.master-key). */
  readonly store: LevelStore;
  /** Stops the server and closes the store, keeping the directory. */
  stop(): Promise<void>;
  /** Stops and deletes the directory. */
  destroy(): Promise<void>;
}

export interface StartOptions {
  readonly dir?: string;
  readonly origin?: string;
  readonly sequencer?: Partial<SequencerOptions>;
  readonly limits?: Partial<RecordLimits>;
  readonly maxBatchBytes?: number;
  /** Tokens to create, by name → role, or role and tenant scope (only when the log is created). */
  readonly principals?: Record<string, Role | { role: Role; tenants?: string[] }>;
  readonly now?: () => number;
  /** Witnesses the log pushes its checkpoints to. */
  readonly witnesses?: readonly WitnessConfig[];
  readonly witnessPushIntervalMs?: number;
  /** Where request and error log lines go (silent by default). */
  readonly logger?: Logger;
  /** A retention policy: the app then serves POST /v1/retention/run with a job aging records by `now`. */
  readonly retention?: { readonly policy: RetentionPolicy; readonly maxErasuresPerRun?: number };
}

/** Creates (or reopens, with `dir`) a log and serves it on 127.0.0.1:0. */
export async function startLog(options: StartOptions = {}): Promise<TestLog> {
  const owned = options.dir === undefined ? await tempDir() : undefined;
  const dir = options.dir ?? owned!.path;
  const paths = dataPaths(dir);
  const tokens: Record<string, string> = {};
  if (owned) {
    await initLog(dir, options.origin ?? 'test.example/log');
    const store = await openStore(paths.db);
    const principals = options.principals ?? { alice: 'submitter', bob: 'submitter', carol: 'auditor' };
    for (const [name, spec] of Object.entries(principals)) {
      const { role, tenants } = typeof spec === 'string' ? { role: spec, tenants: undefined } : spec;
      tokens[name] = await createToken(store, { name, role, createdAt: 0, ...(tenants ? { tenants } : {}) });
    }
    await store.close();
  }
  const { signer, verifier, verifierKey } = await loadKeys(dir);
  const store = await openStore(paths.db);
  const logger = options.logger ?? silentLogger();
  const metrics = new Metrics({ processMetrics: false });
  const log = await Log.open({ store, signer, verifier, sequencer: options.sequencer, now: options.now, observer: sequencerObserver(metrics, logger) });
  const auth = await Authenticator.load(store);
  const retention = options.retention
    ? new RetentionJob({ log, store, policy: options.retention.policy, now: options.now, maxErasuresPerRun: options.retention.maxErasuresPerRun })
    : undefined;
  const pusher = new WitnessPusher({ source: log, witnesses: options.witnesses ?? [], intervalMs: options.witnessPushIntervalMs ?? 200, timeoutMs: 2000 });
  const app = createApp({
    log,
    auth,
    verifierKey,
    logId: toBase64(logId(signer.publicKey)),
    limits: { ...DEFAULT_RECORD_LIMITS, ...options.limits },
    maxBatchBytes: options.maxBatchBytes ?? 16 * 1024 * 1024,
    report: (e) => {
      throw e;
    },
    witnesses: pusher,
    metrics,
    logger,
    ...(retention ? { retention } : {}),
  });
  const server: RunningServer = await listen(app, '127.0.0.1', 0);
  pusher.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await log.drain();
    await retention?.close();
    await pusher.close();
    await server.close(1000);
    await log.close();
  };
  return {
    dir,
    url: server.url,
    log,
    verifierKey,
    tokens,
    pusher,
    store,
    stop,
    destroy: async () => {
      await stop();
      await removeDataDir(dir);
    },
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly json: any;
  readonly text: string;
}

export async function http(url: string, init: RequestInit & { token?: string } = {}): Promise<Reply> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const res = await fetch(url, { ...init, headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export function postRecord(t: TestLog, record: unknown, token = t.tokens['alice']!, headers: Record<string, string> = {}): Promise<Reply> {
  return http(`${t.url}/ct/v1/add-entry`, {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof record === 'string' ? record : JSON.stringify(record),
  });
}

/** A realistic ~1 KB, 13-field gateway audit record. */
export function auditRecord(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: `evt-${i}-${Math.random().toString(36).slice(2)}`,
    timestamp: '2026-11-23T12:00:00.000Z',
    tenant_id: `tenant-${i % 3}`,
    user_id: `user-${i % 17}@example.com`,
    model: 'gpt-5.1',
    model_version: '2026-10-01',
    provider: 'openai',
    category: i % 10 === 0 ? 'block' : 'normal',
    guardrails: { pii: 'pass', jailbreak: i % 10 === 0 ? 'block' : 'pass', toxicity: 0.01 },
    tokens: { prompt: 512 + i, completion: 128 },
    cost_usd: 0.0123,
    prompt_sha256: 'a'.repeat(64),
    notes: 'x'.repeat(400),
    ...extra,
  };
}

/** Every file under `dir` whose bytes contain `marker` (to show a value is, or is not, on disk). */
export async function filesContaining(dir: string, marker: string | Uint8Array): Promise<string[]> {
  const found: string[] = [];
  const needle = Buffer.from(marker);
  const walk = async (d: string): Promise<void> => {
    for (const name of await readdir(d)) {
      const path = join(d, name);
      if ((await stat(path)).isDirectory()) await walk(path);
      else if ((await readFile(path)).includes(needle)) found.push(path);
    }
  };
  await walk(dir);
  return found;
}
