/**
 * @module
 * Crash cycles of the log: load, SIGKILL, (sometimes a kill during start-up,) restart, check.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogLedger } from './log-ledger.js';
import type { LogCheck } from './log-ledger.js';
import { LogLoad } from './log-load.js';
import type { LoadStats, Submitter } from './log-load.js';
import type { CrashOptions } from './options.js';
import { newTotals, runCycles } from './cycles.js';
import { SEALTRAIL, runNodeOk } from './process.js';
import { Random } from './random.js';
import { Failures, formatMs } from './report.js';
import type { LogCrashReport } from './report.js';
import { startTimed, stopCleanly } from './start.js';
import type { Started } from './start.js';

export const LOG_ORIGIN = 'crash.sealtrail.test/log';

export async function runLogCrash(options: CrashOptions, base: string): Promise<LogCrashReport> {
  const { print } = options;
  const rng = new Random(options.seed);
  const failures = new Failures();
  const dir = join(base, 'log');
  if (!existsSync(join(dir, 'log.key'))) await runNodeOk(SEALTRAIL, ['init', '--data', dir, '--origin', LOG_ORIGIN]);
  const verifierKey = (await readFile(join(dir, 'log.vkey'), 'utf8')).trim();
  // Tokens are made with the server stopped (the store is opened exclusively), as an operator does.
  const submitters: Submitter[] = [];
  for (let i = 0; i < options.submitters; i++) {
    const name = `crash-${i}`;
    const out = await runNodeOk(SEALTRAIL, ['token', 'create', '--data', dir, '--role', 'submitter', '--name', name]);
    submitters.push({ name, token: out.trim().split('\n').pop()!.trim() });
  }

  const ledger = new LogLedger(verifierKey, failures);
  const load = new LogLoad(ledger, failures, submitters, options.clients, rng.fork(0xc0ffee));
  const args = ['serve', '--data', dir, '--addr', '127.0.0.1:0', '--log-level', 'warn'];
  const start = (): Promise<Started> => startTimed('the log', SEALTRAIL, args, '/ct/v1/get-sth', options.maxRestartMs, failures);
  const check = async (url: string): Promise<LogCheck | undefined> => {
    try {
      return await ledger.check(url);
    } catch (e) {
      failures.add('answer', `the checks could not read the restarted log: ${(e as Error).message}`);
      return undefined;
    }
  };

  print(`crash: the log in ${dir}; ${options.submitters} submitters × ${options.clients} clients; ${options.cycles} cycles; seed ${options.seed}`);
  const totals = newTotals();
  let shed = 0;
  let consistencyProofs = 0;
  const running = { server: await start() };
  totals.restartMs.push(running.server.ms);
  let last = await check(running.server.url);
  print(`cycle 0: serving after ${formatMs(running.server.ms)} at tree size ${last?.treeSize ?? '?'}`);
  const target = { label: 'the log', script: SEALTRAIL, args, load, start, check, killed: (stats: LoadStats) => void (shed += stats.shed) };
  try {
    await runCycles(target, running, totals, { options, rng, failures }, (c) => {
      last = c.check;
      if (last) consistencyProofs += last.consistencyProofs;
      print(cycleLine(c.cycle, options.cycles, c.loadMs, c.stats, c.startupKill, c.restartMs, last, ledger, load.pendingRetries, failures));
    });
  } finally {
    await stopCleanly(running.server, failures);
  }

  return {
    mode: 'log',
    seed: options.seed,
    cyclesRequested: options.cycles,
    cycles: totals.cycles,
    ok: failures.count === 0,
    failures: failures.list(),
    restartMs: totals.restartMs,
    startupKills: totals.startupKills,
    lostInFlight: totals.lostInFlight,
    errorsWhileUp: totals.errorsWhileUp,
    submitters: options.submitters,
    entries: ledger.entries,
    receipts: ledger.receipts,
    receiptsVerified: ledger.receiptsVerified,
    entriesFound: last?.entriesFound ?? 0,
    consistencyProofs,
    shed,
    treeSize: last?.treeSize ?? -1,
  };
}

function cycleLine(
  cycle: number,
  cycles: number,
  loadMs: number,
  stats: LoadStats,
  startupKill: boolean,
  restartMs: number,
  check: LogCheck | undefined,
  ledger: LogLedger,
  pendingRetries: number,
  failures: Failures,
): string {
  const load =
    `killed after ${formatMs(loadMs)} of load (${stats.acknowledged} entries acknowledged, ${stats.lostInFlight} requests lost in flight` +
    `${stats.shed ? `, ${stats.shed} shed` : ''}${stats.errorsWhileUp ? `, ${stats.errorsWhileUp} failed while up` : ''}, ${pendingRetries} to retry)`;
  const restart = `${startupKill ? 'killed once during start-up, then ' : ''}restarted in ${formatMs(restartMs)}`;
  const checked = check
    ? `tree size ${check.treeSize}; ${ledger.receiptsVerified}/${ledger.receipts} receipts verified, ${check.entriesFound}/${ledger.entries} entries found, ` +
      `${check.consistencyProofs} consistency proofs`
    : 'the checks could not run';
  return `cycle ${cycle}/${cycles}: ${load}; ${restart}; ${checked}: ${failures.count === 0 ? 'ok' : `FAILED (${failures.checks.join(', ')})`}`;
}
