/**
 * @module
 * The servers under test as real child processes: `node bin/sealtrail.js …` for the log and
 * `node dist/tools/witness.js …` for the witness (the compiled build, as an operator runs them).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the first directory above this file with bin/sealtrail.js (from tools/ or dist/tools/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'bin', 'sealtrail.js')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the sealtrail repository (bin/sealtrail.js) above tools/crash');
    dir = parent;
  }
}

export const ROOT = findRoot();
export const SEALTRAIL = join(ROOT, 'bin', 'sealtrail.js');
export const WITNESS = join(ROOT, 'dist', 'tools', 'witness.js');

/** Fails early, with what to do, if the build the child processes run is missing. */
export function requireBuild(): void {
  for (const file of [join(ROOT, 'dist', 'src', 'cli', 'main.js'), WITNESS]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: build first (npm run build)`);
  }
}

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node SCRIPT ARGS` to completion (a CLI command such as init or token create). */
export function runNode(script: string, args: readonly string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a command that must succeed; its stdout. */
export async function runNodeOk(script: string, args: readonly string[]): Promise<string> {
  const ran = await runNode(script, args);
  if (ran.code !== 0) throw new Error(`node ${script} ${args.join(' ')} exited with ${ran.code}:\n${ran.stdout}${ran.stderr}`);
  return ran.stdout;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Every process started here and not yet exited, so that a failing run leaves none behind. */
const live = new Set<ServerProcess>();

/** SIGKILLs every server process still running (after an error, or on Ctrl-C). */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill('SIGKILL')));
}

const OUTPUT_TAIL = 32 * 1024;

/**
 * A server process that prints `serving … on http://…` once it listens (the log and the witness
 * both do, and only after their signal handlers are in place).
 */
export class ServerProcess {
  readonly spawnedAt = performance.now();
  /** Resolves with the URL once serving; rejects if the process exits first. */
  readonly serving: Promise<string>;
  readonly exit: Promise<Exit>;
  private readonly child: ChildProcess;
  private tail = '';
  private exited: Exit | undefined;
  private signalled: NodeJS.Signals | undefined;

  private constructor(
    readonly label: string,
    script: string,
    args: readonly string[],
  ) {
    this.child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    this.exit = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = { code, signal };
        live.delete(this);
        resolve(this.exited);
      });
    });
    let stdout = '';
    this.serving = new Promise((resolve, reject) => {
      this.child.stdout!.on('data', (d: Buffer) => {
        this.append(d);
        if (stdout.length < OUTPUT_TAIL) stdout += d.toString();
        const m = /serving .* on (http:\/\/\S+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      this.child.on('error', reject);
      void this.exit.then(({ code, signal }) => reject(new Error(`${label} exited (${signal ?? `code ${code}`}) before serving.`)));
    });
    // Rejections of `serving` are read by whoever awaits it; the ones nobody awaits are not errors.
    this.serving.catch(() => undefined);
    this.child.stderr!.on('data', (d: Buffer) => this.append(d));
  }

  static start(label: string, script: string, args: readonly string[]): ServerProcess {
    return new ServerProcess(label, script, args);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True if the process has exited without being sent a signal from here: it crashed or quit on its own. */
  get diedOnItsOwn(): boolean {
    return this.exited !== undefined && this.signalled === undefined;
  }

  get exitStatus(): Exit | undefined {
    return this.exited;
  }

  /** The last 32 KiB of stdout and stderr. */
  output(): string {
    return this.tail;
  }

  /** Sends `signal` (unless the process has exited) and resolves once it has exited. */
  kill(signal: NodeJS.Signals): Promise<Exit> {
    if (this.exited === undefined) {
      this.signalled = signal;
      this.child.kill(signal);
    }
    return this.exit;
  }

  private append(d: Buffer): void {
    this.tail += d.toString();
    if (this.tail.length > OUTPUT_TAIL) this.tail = this.tail.slice(-OUTPUT_TAIL);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`'s value, or undefined if it takes longer than `ms` (the timer is cleared either way, so it holds no process open). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)))]);
  } finally {
    clearTimeout(timer);
  }
}
