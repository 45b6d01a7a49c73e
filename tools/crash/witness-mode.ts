/**
 * @module
 * Crash cycles of the witness: a real log keeps growing (never killed); the witness is loaded
 * with add-checkpoint requests, SIGKILLed, (sometimes killed again during start-up,) restarted
 * and checked.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CrashOptions } from './options.js';
import { newTotals, runCycles } from './cycles.js';
import { SEALTRAIL, WITNESS, runNodeOk } from './process.js';
import { Random } from './random.js';
import { Failures, formatMs } from './report.js';
import type { WitnessCrashReport } from './report.js';
import { checkAlive, startTimed, stopCleanly } from './start.js';
import type { Started } from './start.js';
import { WitnessLedger } from './witness-ledger.js';
import type { WitnessCheck } from './witness-ledger.js';
import { WitnessLoad } from './witness-load.js';
import type { PushStats } from './witness-load.js';
import { CheckpointSource } from './witness-source.js';

export const WITNESS_LOG_ORIGIN = 'crash.sealtrail.test/witnessed-log';
export const WITNESS_NAME = 'crash.sealtrail.test/witness';

/** Tree sizes the log has before the witness first starts. */
const INITIAL_SIZES = 20;

export async function runWitnessCrash(options: CrashOptions, base: string): Promise<WitnessCrashReport> {
  const { print } = options;
  const rng = new Random(options.seed);
  const failures = new Failures();

  // The log: created once, never killed here.
  const logDir = join(base, 'witnessed-log');
  if (!existsSync(join(logDir, 'log.key'))) await runNodeOk(SEALTRAIL, ['init', '--data', logDir, '--origin', WITNESS_LOG_ORIGIN]);
  const token = (await runNodeOk(SEALTRAIL, ['token', 'create', '--data', logDir, '--role', 'submitter', '--name', 'crash-grower'])).trim().split('\n').pop()!.trim();
  const log = await startTimed('the log', SEALTRAIL, ['serve', '--data', logDir, '--addr', '127.0.0.1:0', '--log-level', 'warn'], '/ct/v1/get-sth', options.maxRestartMs, failures);

  let running: { server: Started } | undefined;
  let source: CheckpointSource | undefined;
  let report: () => WitnessCrashReport;
  try {
    source = await CheckpointSource.open(log.url, logDir, token);
    const growRng = rng.fork(0x10);
    for (let i = 0; i < INITIAL_SIZES; i++) await source.grow(growRng);

    // The witness: its own key and store, configured for that log only (push mode).
    const dir = join(base, 'witness');
    const witnessKey = existsSync(join(dir, 'witness.key'))
      ? (await readFile(join(dir, 'witness.vkey'), 'utf8')).trim()
      : (await runNodeOk(WITNESS, ['init', '--data', dir, '--name', WITNESS_NAME])).trim().split('\n').pop()!.trim();
    const config = join(base, 'witness.json');
    await writeFile(config, JSON.stringify({ logs: [{ origin: source.origin, verifier_key: source.verifierKey }] }, null, 2));

    const ledger = new WitnessLedger(witnessKey, source, failures);
    const load = new WitnessLoad(ledger, source, failures, options.pushers, rng.fork(0xc0ffee));
    const args = ['serve', '--data', dir, '--config', config, '--addr', '127.0.0.1:0'];
    const start = (): Promise<Started> => startTimed('the witness', WITNESS, args, '/healthz', options.maxRestartMs, failures);
    const check = async (url: string): Promise<WitnessCheck | undefined> => {
      try {
        return await ledger.check(url);
      } catch (e) {
        failures.add('answer', `the checks could not read the restarted witness: ${(e as Error).message}`);
        return undefined;
      }
    };

    print(`crash: the witness in ${dir}, cosigning the log at ${log.url}; ${options.pushers} clients; ${options.cycles} cycles; seed ${options.seed}`);
    const totals = newTotals();
    running = { server: await start() };
    totals.restartMs.push(running.server.ms);
    let last = await check(running.server.url);
    print(`cycle 0: serving after ${formatMs(running.server.ms)}, cosigned state at size ${last?.witnessSize ?? '?'}`);
    source.startGrowing(growRng, (e) => failures.add('answer', `the log stopped growing: ${e.message}`));

    const grown = source;
    await runCycles({ label: 'the witness', script: WITNESS, args, load, start, check }, running, totals, { options, rng, failures }, (c) => {
      last = c.check;
      print(cycleLine(c.cycle, options.cycles, c.loadMs, c.stats, c.startupKill, c.restartMs, last, ledger, grown.newest.size, failures));
    });
    checkAlive(log, 'while the witness was crashed', failures);

    // Built after the final stops below, which can fail too.
    report = () => ({
      mode: 'witness',
      seed: options.seed,
      cyclesRequested: options.cycles,
      cycles: totals.cycles,
      ok: failures.count === 0,
      failures: failures.list(),
      restartMs: totals.restartMs,
      startupKills: totals.startupKills,
      lostInFlight: totals.lostInFlight,
      errorsWhileUp: totals.errorsWhileUp,
      cosignatures: ledger.cosignatures,
      cosignaturesVerified: ledger.cosignaturesVerified,
      cosignedSize: ledger.maxAcknowledged,
      witnessSize: last?.witnessSize ?? -1,
      forgeriesRefused: ledger.forgeriesRefused,
      conflicts: ledger.conflicts,
      logSize: source!.newest.size,
    });
  } finally {
    await source?.stop();
    if (running) await stopCleanly(running.server, failures);
    await stopCleanly(log, failures);
  }
  return report();
}

function cycleLine(
  cycle: number,
  cycles: number,
  loadMs: number,
  stats: PushStats,
  startupKill: boolean,
  restartMs: number,
  check: WitnessCheck | undefined,
  ledger: WitnessLedger,
  logSize: number,
  failures: Failures,
): string {
  const load =
    `killed after ${formatMs(loadMs)} of load (${stats.sent} add-checkpoint requests, ${stats.cosigned} cosigned, ${stats.lostInFlight} lost in flight` +
    `${stats.errorsWhileUp ? `, ${stats.errorsWhileUp} failed while up` : ''})`;
  const restart = `${startupKill ? 'killed once during start-up, then ' : ''}restarted in ${formatMs(restartMs)}`;
  const checked = check
    ? `cosigned state at size ${check.witnessSize} (acknowledged up to ${ledger.maxAcknowledged}, log at ${logSize}); ` +
      `${ledger.cosignaturesVerified}/${ledger.cosignatures} cosignatures verified, ${ledger.forgeriesRefused} forgeries refused, ${ledger.conflicts} conflicts`
    : 'the checks could not run';
  return `cycle ${cycle}/${cycles}: ${load}; ${restart}; ${checked}: ${failures.count === 0 ? 'ok' : `FAILED (${failures.checks.join(', ')})`}`;
}
