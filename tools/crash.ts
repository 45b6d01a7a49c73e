#!/usr/bin/env node
/**
 * Crash-consistency tool: `node dist/tools/crash.js --cycles N [--witness] [options]` (see
 * `--help` and tools/crash/). Kills the real log or witness process with SIGKILL at random moments
 * under load, restarts it, and checks that nothing acknowledged was lost or contradicted.
 * Imported (by test/crash.test.ts), it only exports; run directly, it runs.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from './crash/run.js';

export { main, runCrash } from './crash/run.js';
export type { CrashInput, CrashOptions } from './crash/options.js';
export type { CrashReport, LogCrashReport, WitnessCrashReport } from './crash/report.js';

const invoked = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invoked) process.exitCode = await main(process.argv.slice(2));
