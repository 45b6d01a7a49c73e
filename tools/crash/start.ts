/**
 * @module
 * Starting a server under test, timed from spawn to its first answered read, and killing one in
 * the middle of its start-up.
 */
import { getText } from './http.js';
import { ServerProcess, sleep, within } from './process.js';
import type { Failures } from './report.js';
import { formatMs } from './report.js';

/** How long a start may take before it counts as failed outright (the restart limit is checked separately). */
const START_TIMEOUT_MS = 30_000;

export interface Started {
  readonly process: ServerProcess;
  readonly url: string;
  /** Spawn to the first answered read, in milliseconds. */
  readonly ms: number;
}

/**
 * Starts `node SCRIPT ARGS`, waits for its "serving … on URL" line and then for `probe` (a read
 * path) to answer 200: serving means answering, not just listening. A start slower than
 * `maxRestartMs` is a failure of the `restart` check; one that never serves throws.
 */
export async function startTimed(label: string, script: string, args: readonly string[], probe: string, maxRestartMs: number, failures: Failures): Promise<Started> {
  const child = ServerProcess.start(label, script, args);
  const deadline = child.spawnedAt + START_TIMEOUT_MS;
  const url = await within(
    child.serving.catch((e: Error) => {
      throw new Error(`${e.message.split('\n')[0]} Its last output:\n${child.output().slice(-2000)}`);
    }),
    START_TIMEOUT_MS,
  );
  if (url === undefined) {
    await child.kill('SIGKILL');
    throw new Error(`${label} did not start within ${START_TIMEOUT_MS / 1000} s; its last output:\n${child.output().slice(-2000)}`);
  }
  for (;;) {
    const answered = await getText(`${url}${probe}`).catch(() => undefined);
    if (answered?.status === 200) break;
    if (performance.now() > deadline || child.exitStatus !== undefined) {
      await child.kill('SIGKILL');
      throw new Error(`${label} printed its URL but GET ${probe} did not answer 200 within ${START_TIMEOUT_MS / 1000} s; its last output:\n${child.output().slice(-2000)}`);
    }
    await sleep(10);
  }
  const ms = performance.now() - child.spawnedAt;
  if (ms > maxRestartMs) failures.add('restart', `${label} took ${formatMs(ms)} from restart to serving, more than ${formatMs(maxRestartMs)}`);
  return { process: child, url, ms };
}

/**
 * Starts the server and SIGKILLs it `afterMs` later, serving or not: a crash during start-up
 * (while it opens and checks its store) must leave it as startable as before.
 */
export async function killDuringStartup(label: string, script: string, args: readonly string[], afterMs: number): Promise<void> {
  const child = ServerProcess.start(label, script, args);
  await sleep(afterMs);
  await child.kill('SIGKILL');
}

/** A server that exited while nobody had signalled it: a crash of its own, reported with its output. */
export function checkAlive(started: Started, when: string, failures: Failures): void {
  if (started.process.diedOnItsOwn) {
    const { code, signal } = started.process.exitStatus!;
    failures.add('process', `${started.process.label} exited on its own (${signal ?? `code ${code}`}) ${when}; its last output:\n${started.process.output().slice(-2000)}`);
  }
}

/** Stops a server with SIGTERM; a clean stop is exit code 0 within 10 s. */
export async function stopCleanly(started: Started, failures: Failures): Promise<void> {
  checkAlive(started, 'before the final stop', failures);
  if (started.process.exitStatus !== undefined) return;
  const sent = performance.now();
  const stopped = await within(started.process.kill('SIGTERM'), 10_000);
  if (stopped === undefined) {
    failures.add('process', `${started.process.label} did not exit within 10 s of SIGTERM`);
    await started.process.kill('SIGKILL');
  } else if (stopped.code !== 0) {
    failures.add('process', `${started.process.label} exited with ${stopped.signal ?? `code ${stopped.code}`} on SIGTERM, not 0, after ${formatMs(performance.now() - sent)}:\n${started.process.output().slice(-2000)}`);
  }
}
