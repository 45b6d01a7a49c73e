/**
 * @module
 * The crash cycle both modes run on their process: load for a random time, SIGKILL, sometimes a
 * kill during the next start-up as well, restart (timed), check. What is loaded and checked is the
 * mode's; the order of the random draws is fixed here, so a seed replays a run.
 */
import type { CrashOptions } from './options.js';
import { sleep } from './process.js';
import type { Random } from './random.js';
import type { Failures } from './report.js';
import { checkAlive, killDuringStartup } from './start.js';
import type { Started } from './start.js';

export interface CycleStats {
  readonly lostInFlight: number;
  readonly errorsWhileUp: number;
}

/** The process under test, as a mode drives it. */
export interface CycleTarget<S extends CycleStats, C> {
  /** `the log`, `the witness`. */
  readonly label: string;
  readonly script: string;
  readonly args: readonly string[];
  readonly load: { begin(url: string, serverAlive: () => boolean): { kill(): void; stop(): Promise<S> } };
  start(): Promise<Started>;
  check(url: string): Promise<C | undefined>;
  /** Told the load's figures as soon as the process is killed (before the restart, which may fail). */
  killed?(stats: S): void;
}

export interface FinishedCycle<S, C> {
  readonly cycle: number;
  readonly loadMs: number;
  readonly stats: S;
  readonly startupKill: boolean;
  readonly restartMs: number;
  readonly check: C | undefined;
}

export interface CycleTotals {
  cycles: number;
  readonly restartMs: number[];
  startupKills: number;
  lostInFlight: number;
  errorsWhileUp: number;
}

export const newTotals = (): CycleTotals => ({ cycles: 0, restartMs: [], startupKills: 0, lostInFlight: 0, errorsWhileUp: 0 });

/**
 * Runs up to `options.cycles` cycles, stopping at the first failure. `running.server` is the
 * process started last, kept up to date so that the caller can stop it whatever happens.
 */
export async function runCycles<S extends CycleStats, C>(
  target: CycleTarget<S, C>,
  running: { server: Started },
  totals: CycleTotals,
  context: { readonly options: CrashOptions; readonly rng: Random; readonly failures: Failures },
  onCycle: (finished: FinishedCycle<S, C>) => void,
): Promise<void> {
  const { options, rng, failures } = context;
  for (let cycle = 1; cycle <= options.cycles && failures.count === 0; cycle++) {
    const loadMs = rng.int(options.minLoadMs, options.maxLoadMs);
    const current = running.server;
    const loading = target.load.begin(current.url, () => current.process.exitStatus === undefined);
    await sleep(loadMs);
    loading.kill();
    checkAlive(current, `under load in cycle ${cycle}, before it was killed`, failures);
    await current.process.kill('SIGKILL');
    const stats = await loading.stop();
    totals.lostInFlight += stats.lostInFlight;
    totals.errorsWhileUp += stats.errorsWhileUp;
    target.killed?.(stats);

    const startupKill = rng.chance(options.startupKillChance);
    if (startupKill) {
      await killDuringStartup(target.label, target.script, target.args, rng.int(0, 600));
      totals.startupKills++;
    }
    try {
      running.server = await target.start();
    } catch (e) {
      failures.add('restart', `${current.process.label} does not serve again after the kill of cycle ${cycle}: ${(e as Error).message}`);
      break;
    }
    totals.restartMs.push(running.server.ms);
    const check = await target.check(running.server.url);
    totals.cycles++;
    onCycle({ cycle, loadMs, stats, startupKill, restartMs: running.server.ms, check });
  }
}
