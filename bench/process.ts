/**
 * @module
 * Servers under test run as their own processes, as in production; the load generator runs in the
 * benchmark's process. This starts them (the compiled build in dist/), times their start-up, samples
 * their memory and stops them.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whether this module runs from bench/ (vitest) or dist/bench/ (npm run bench). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (no package.json above bench/)');
    dir = up;
  }
  return dir;
}

const ROOT = repositoryRoot();
export const SEALTRAIL_BIN = join(ROOT, 'bin', 'sealtrail.js');
const BARE_SERVER = join(ROOT, 'dist', 'bench', 'bare-server.js');

function built(path: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: build first (npm run build)`);
  return path;
}

export interface RunningServer {
  readonly child: ChildProcess;
  readonly url: string;
  /** Milliseconds from spawn to the line that says the server is listening. */
  readonly startupMs: number;
  /** What it printed up to that line (e.g. the first token of a new log). */
  readonly banner: string;
  /** The last lines it printed (bounded: request logs are not kept). */
  tail(): string;
}

const TAIL_CHARS = 16_384;

/** Spawns `node ARGS` and resolves once its output matches `ready` (group 1: the URL). */
export function startProcess(args: string[], ready: RegExp, timeoutMs = 60_000): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let banner = '';
    let tail = '';
    let up = false;
    const keep = (d: Buffer): void => {
      tail = (tail + d.toString()).slice(-TAIL_CHARS);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not start within ${timeoutMs / 1000} s:\n${tail}`));
    }, timeoutMs);
    child.stderr!.on('data', keep);
    child.stdout!.on('data', (d: Buffer) => {
      keep(d);
      if (up) return;
      banner += d.toString();
      const m = ready.exec(banner);
      if (m) {
        up = true;
        clearTimeout(timer);
        resolve({ child, url: m[1]!, startupMs: performance.now() - started, banner, tail: () => tail });
      }
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      if (!up) reject(error);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!up) reject(new Error(`${args.join(' ')} exited (${code}) before listening:\n${tail}`));
    });
  });
}

/**
 * The benchmarks measure what the log can do, driven through one submitter token; the per-principal
 * rate limit (1000 entries/s by default, spec/formats.md §22.3) would measure the limit instead. So
 * the submitter role is not limited (the limiter stays in the request path, and every other setting
 * is the default); nothing about durability or signing changes.
 */
export const BENCH_SERVE_CONFIG = { rate_limits: { submitter: { per_second: 0 } } };

/**
 * `sealtrail serve --data DIR` on a free port, with extra `serve` flags; BENCH_SERVE_CONFIG (written
 * beside DIR) unless `args` names a --config of its own.
 */
export async function startSealtrail(dataDir: string, args: readonly string[] = []): Promise<RunningServer> {
  built(join(ROOT, 'dist', 'src', 'cli', 'main.js'));
  const config = args.includes('--config') ? [] : ['--config', `${dataDir}.bench-config.json`];
  if (config.length > 0) await writeFile(config[1]!, `${JSON.stringify(BENCH_SERVE_CONFIG)}\n`);
  return startProcess([SEALTRAIL_BIN, 'serve', '--data', dataDir, '--addr', '127.0.0.1:0', ...config, ...args], /serving .* on (http:\/\/\S+)/);
}

/** The baseline: a bare Hono server (bench/bare-server.ts). */
export function startBare(): Promise<RunningServer> {
  return startProcess([built(BARE_SERVER)], /on (http:\/\/\S+)/);
}

/**
 * SIGTERM, and resolves once it has exited (sealtrail finishes its pass and closes the store first);
 * SIGKILL if it has not within `graceMs`.
 */
export async function stop(server: RunningServer, graceMs = 30_000): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resident memory of a process in bytes (Linux /proc): all of it, anonymous (heap), file-backed (mmap). */
export interface Resident {
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
}

/** The process's resident memory, or NaNs where /proc cannot be read. */
export async function residentBytes(pid: number): Promise<Resident> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : Number.NaN;
    };
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return { rss: Number.NaN, anon: Number.NaN, file: Number.NaN };
  }
}

/** Samples a process's resident memory every `intervalMs` until stopped; `stop` returns the sample with the peak RSS. */
export function sampleResident(pid: number, intervalMs = 100): { stop(): Promise<Resident> } {
  let peak: Resident = { rss: 0, anon: 0, file: 0 };
  let pending: Promise<void> = Promise.resolve();
  const take = (r: Resident): void => {
    if (r.rss > peak.rss) peak = r;
  };
  const timer = setInterval(() => {
    pending = residentBytes(pid).then(take);
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      take(await residentBytes(pid));
      return peak;
    },
  };
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
}
