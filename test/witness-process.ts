/**
 * Witness test helpers: a real log with a signed checkpoint at every size (its own key, its own
 * consistency proofs), a real witness in-process on a real LevelDB over real HTTP on port 0, and
 * the witness CLI as a real process (`node bin/sealtrail.js witness ...`, the compiled dist/).
 */
import { spawn } from 'node:child_process';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listen } from '../src/api/server.js';
import type { RunningServer } from '../src/api/server.js';
import { defaultMasterKeyPath, loadKeys } from '../src/cli/datadir.js';
import { openCheckpoint, parseVerifierKey } from '../src/note/index.js';
import type { NoteSigner } from '../src/note/index.js';
import { parseWitnessConfig } from '../src/witness/config.js';
import { initWitness, loadWitnessKey, openWitnessStore, witnessPaths } from '../src/witness/datadir.js';
import { createWitnessApp } from '../src/witness/http.js';
import type { Logger } from '../src/witness/logger.js';
import { Witness } from '../src/witness/witness.js';
import type { WitnessStore } from '../src/witness/store.js';
import { auditRecord, http, postRecord, startLog, tempDir } from './harness.js';
import type { Reply, TestLog } from './harness.js';
import { BIN, startServer } from './process.js';
import type { Ran, Server } from './process.js';

// ---- a log with a signed checkpoint at every size ----

export interface LogFixture {
  readonly log: TestLog;
  readonly origin: string;
  readonly verifierKey: string;
  /** The log's own signing key, to sign checkpoints that the log itself never published. */
  readonly signer: NoteSigner;
  /** A submitter token. */
  readonly token: string;
  /** checkpoints[size]: the note the log signed at that tree size. */
  readonly checkpoints: string[];
  /** Appends `count` entries one at a time, keeping each checkpoint. */
  grow(count: number): Promise<void>;
  /** The log's RFC 6962 consistency proof. */
  proof(first: number, second: number): Promise<Uint8Array[]>;
  destroy(): Promise<void>;
}

export async function startLogFixture(size: number, origin = 'test.example/log'): Promise<LogFixture> {
  const log = await startLog({ origin, principals: { alice: 'submitter' } });
  const fixture = await logFixture(log, log.tokens['alice']!);
  await fixture.grow(size);
  return fixture;
}

/**
 * Forks a log: stops it, copies its directory, and reopens both copies (same key, same entries so
 * far, same tokens) on new ports. Each then grows on its own.
 */
export async function forkLog(fixture: LogFixture, copyDir: string): Promise<[LogFixture, LogFixture]> {
  await fixture.log.stop();
  await cp(fixture.log.dir, copyDir, { recursive: true });
  // The master key is beside a data directory, never inside it: a copy needs it too.
  await cp(defaultMasterKeyPath(fixture.log.dir), defaultMasterKeyPath(copyDir));
  const token = fixture.token;
  const [a, b] = await Promise.all([startLog({ dir: fixture.log.dir }), startLog({ dir: copyDir })]);
  return Promise.all([logFixture(a, token, [...fixture.checkpoints]), logFixture(b, token, [...fixture.checkpoints])]);
}

async function logFixture(log: TestLog, token: string, checkpoints: string[] = [log.log.head.checkpoint]): Promise<LogFixture> {
  const { signer } = await loadKeys(log.dir);
  const verifier = parseVerifierKey(log.verifierKey);
  return {
    log,
    origin: verifier.name,
    verifierKey: log.verifierKey,
    signer,
    token,
    checkpoints,
    async grow(count) {
      for (let i = 0; i < count; i++) {
        const reply = await postRecord(log, auditRecord(checkpoints.length + i), token);
        if (reply.status !== 200) throw new Error(`add-entry failed: ${reply.text}`);
        const { checkpoint } = openCheckpoint(reply.json.checkpoint, verifier);
        checkpoints[checkpoint.size] = reply.json.checkpoint;
      }
    },
    proof: (first, second) => log.log.consistencyProof(first, second),
    destroy: () => log.destroy(),
  };
}

// ---- a witness in-process ----

export interface LogEntry {
  readonly origin: string;
  readonly verifier_key: string;
  readonly url?: string;
}

export interface WitnessFixture {
  readonly dir: string;
  readonly url: string;
  readonly witness: Witness;
  readonly store: WitnessStore;
  readonly verifierKey: string;
  /** Error-level lines the witness logged. */
  readonly logged: { level: string; message: string; fields: Record<string, unknown> }[];
  post(body: string | Uint8Array, headers?: Record<string, string>): Promise<Reply>;
  evidenceFiles(): Promise<string[]>;
  /** Stops the server and closes the store, keeping the directory. */
  stop(): Promise<void>;
  /** Stops, then opens the same directory again on a new port. */
  restart(): Promise<WitnessFixture>;
  destroy(): Promise<void>;
}

export interface WitnessFixtureOptions {
  readonly dir?: string;
  readonly now?: () => number;
  readonly maxBodyBytes?: number;
}

export async function startWitness(logs: readonly LogEntry[], options: WitnessFixtureOptions = {}): Promise<WitnessFixture> {
  const owned = options.dir === undefined ? await tempDir('sealtrail-witness-') : undefined;
  const dir = options.dir ?? owned!.path;
  if (owned) await initWitness(dir, 'witness.example/w1');
  const config = parseWitnessConfig({ logs });
  const { cosigner, verifierKey } = await loadWitnessKey(dir);
  const store = await openWitnessStore(dir, verifierKey);
  const logged: WitnessFixture['logged'] = [];
  const logger: Logger = { log: (level, message, fields = {}) => logged.push({ level, message, fields: { ...fields } }) };
  const witness = new Witness({ store, cosigner, verifierKey, logs: config.logs, evidenceDir: witnessPaths(dir).evidence, logger, now: options.now });
  const app = createWitnessApp(witness, {
    maxBodyBytes: options.maxBodyBytes,
    report: (e) => {
      throw e;
    },
  });
  const server: RunningServer = await listen(app, '127.0.0.1', 0);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.close(1000);
    await witness.close();
    await store.close();
  };
  return {
    dir,
    url: server.url,
    witness,
    store,
    verifierKey,
    logged,
    post: (body, headers = {}) => http(`${server.url}/add-checkpoint`, { method: 'POST', body, headers }),
    evidenceFiles: async () => (await readdir(witnessPaths(dir).evidence).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).map((f) => join(witnessPaths(dir).evidence, f)),
    stop,
    restart: async () => {
      await stop();
      return startWitness(logs, { ...options, dir });
    },
    destroy: async () => {
      await stop();
      if (owned) await owned.remove();
    },
  };
}

export async function readJson(path: string): Promise<any> {
  return JSON.parse(await readFile(path, 'utf8'));
}

export async function writeConfig(path: string, config: unknown): Promise<string> {
  // 0600: a configuration with a log anchor holds a token, and the witness refuses it otherwise.
  await writeFile(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return path;
}

// ---- the witness CLI as a process ----

export function witnessRun(args: string[], options: { timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'witness', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `sealtrail witness serve` on 127.0.0.1:0 and resolves once it is listening. */
export function witnessServe(args: string[]): Promise<Server> {
  return startServer(['witness', 'serve', '--addr', '127.0.0.1:0', ...args], 'witness');
}

export interface Spawned {
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves once the output matches `pattern` (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `sealtrail witness ...` in the background (e.g. watch with an interval). */
export function witnessSpawn(args: string[]): Spawned {
  const child = spawn(process.execPath, [BIN, 'witness', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => out,
    waitFor: async (pattern, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(out);
        if (m) return m;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in the output:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
