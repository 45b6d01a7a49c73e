/**
 * @module
 * The crash tool's entry points: {@link runCrash} for tests (in-process; the servers it drives are
 * real child processes) and {@link main} for the command line.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../../src/cli/usage.js';
import { runLogCrash } from './log-mode.js';
import { HELP, parseCommandLine, resolveOptions } from './options.js';
import type { CrashInput } from './options.js';
import { killAll, requireBuild } from './process.js';
import type { CrashReport } from './report.js';
import { verdict } from './report.js';
import { runWitnessCrash } from './witness-mode.js';

/**
 * Runs the crash cycles and returns what they found; prints a line per cycle and the verdict.
 * Throws only if the run itself could not proceed (no build, a server that never starts); a
 * check that fails is in the report (`ok: false`, `failures`).
 */
export async function runCrash(input: CrashInput): Promise<CrashReport> {
  const options = resolveOptions(input);
  requireBuild();
  const base = options.data === undefined ? await mkdtemp(join(tmpdir(), 'sealtrail-crash-')) : resolve(options.data);
  await mkdir(base, { recursive: true });
  try {
    const report = options.mode === 'log' ? await runLogCrash(options, base) : await runWitnessCrash(options, base);
    options.print(verdict(report));
    return report;
  } finally {
    await killAll();
    // The temp directory holds the master key beside the log's directory: both go.
    if (options.data === undefined) await rm(base, { recursive: true, force: true });
  }
}

/** The command line: exit code 0 if every check held, 1 if one failed or the run could not proceed, 2 for bad usage. */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  let input;
  try {
    input = parseCommandLine(argv);
  } catch (e) {
    if (e instanceof UsageError || e instanceof RangeError) {
      console.error(`crash: ${e.message}\n\n${HELP}`);
      return 2;
    }
    throw e;
  }
  // Ctrl-C: no server process is left behind.
  const interrupted = (): void => {
    void killAll().then(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    return (await runCrash(input)).ok ? 0 : 1;
  } catch (e) {
    console.error(`crash: FAIL: the run could not proceed: ${(e as Error).message}`);
    return 1;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}
