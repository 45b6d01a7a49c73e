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
import { SEALTRAIL, runNodeOk, sleep } from './process.js';
import { Random } from './random.js';
import { Failures, formatMs } from './report.js';
import type { LogCrashReport } from './report.js';
import { checkAlive, killDuringStartup, startTimed, stopCleanly } from './start.js';
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
  const restartMs: number[] = [];
  const totals = { lostInFlight: 0, errorsWhileUp: 0, shed: 0, consistencyProofs: 0, startupKills: 0 };
  let server = await start();
  restartMs.push(server.ms);
  let last = await check(server.url);
  print(`cycle 0: serving after ${formatMs(server.ms)} at tree size ${last?.treeSize ?? '?'}`);
  let cycles = 0;
  try {
    for (let cycle = 1; cycle <= options.cycles && failures.count === 0; cycle++) {
      const loadMs = rng.int(options.minLoadMs, options.maxLoadMs);
      const current = server;
      const running = load.begin(current.url, () => current.process.exitStatus === undefined);
      await sleep(loadMs);
      running.kill();
      checkAlive(current, `under load in cycle ${cycle}, before it was killed`, failures);
      await current.process.kill('SIGKILL');
      const stats = await running.stop();
      totals.lostInFlight += stats.lostInFlight;
      totals.errorsWhileUp += stats.errorsWhileUp;
      totals.shed += stats.shed;

      const startupKill = rng.chance(options.startupKillChance);
      if (startupKill) {
        await killDuringStartup('the log', SEALTRAIL, args, rng.int(0, 600));
        totals.startupKills++;
      }
      try {
        server = await start();
      } catch (e) {
        failures.add('restart', `${current.process.label} does not serve again after the kill of cycle ${cycle}: ${(e as Error).message}`);
        break;
      }
      restartMs.push(server.ms);
      last = await check(server.url);
      if (last) totals.consistencyProofs += last.consistencyProofs;
      cycles++;
      print(cycleLine(cycle, options.cycles, loadMs, stats, startupKill, server.ms, last, ledger, load.pendingRetries, failures));
    }
  } finally {
    await stopCleanly(server, failures);
  }

  return {
    mode: 'log',
    seed: options.seed,
    cyclesRequested: options.cycles,
    cycles,
    ok: failures.count === 0,
    failures: failures.list(),
    restartMs,
    startupKills: totals.startupKills,
    lostInFlight: totals.lostInFlight,
    errorsWhileUp: totals.errorsWhileUp,
    submitters: options.submitters,
    entries: ledger.entries,
    receipts: ledger.receipts,
    receiptsVerified: ledger.receiptsVerified,
    entriesFound: last?.entriesFound ?? 0,
    consistencyProofs: totals.consistencyProofs,
    shed: totals.shed,
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
