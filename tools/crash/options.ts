/**
 * @module
 * The crash tool's settings, their defaults, and its command line.
 */
import { UsageError, intFlag, parse } from '../../src/cli/usage.js';
import { randomSeed } from './random.js';

export interface CrashOptions {
  /** Crash the log (`sealtrail serve`) or the witness (`dist/tools/witness.js serve`). */
  readonly mode: 'log' | 'witness';
  /** Kill-and-restart cycles. */
  readonly cycles: number;
  /** Seed of the schedule (kill moments, operations, records); printed, to replay a run. */
  readonly seed: number;
  /** Where the data directories go (kept); by default a temp directory, removed at the end. */
  readonly data?: string;
  /** Submitter tokens (log mode), each with `clients` concurrent clients. */
  readonly submitters: number;
  readonly clients: number;
  /** Concurrent add-checkpoint clients (witness mode). */
  readonly pushers: number;
  /** Load runs for a random time in [minLoadMs, maxLoadMs] before each kill. */
  readonly minLoadMs: number;
  readonly maxLoadMs: number;
  /** A restart must be serving (answering a read) within this many milliseconds of its spawn. */
  readonly maxRestartMs: number;
  /** The chance, per cycle, that the restart is first killed during its own start-up. */
  readonly startupKillChance: number;
  /** Where the per-cycle summaries and the verdict go. */
  readonly print: (line: string) => void;
}

export const DEFAULT_OPTIONS: Omit<CrashOptions, 'cycles' | 'seed' | 'data'> = {
  mode: 'log',
  submitters: 4,
  clients: 2,
  pushers: 3,
  minLoadMs: 100,
  maxLoadMs: 1500,
  maxRestartMs: 5000,
  startupKillChance: 0.2,
  print: (line) => console.log(line),
};

/** What a caller gives: the cycles, and whatever it wants to change. */
export type CrashInput = Partial<CrashOptions> & { readonly cycles: number };

export function resolveOptions(input: CrashInput): CrashOptions {
  const options: CrashOptions = { ...DEFAULT_OPTIONS, seed: randomSeed(), ...input };
  const positive = (name: keyof CrashOptions): void => {
    const value = options[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  };
  for (const name of ['cycles', 'submitters', 'clients', 'pushers', 'minLoadMs', 'maxLoadMs', 'maxRestartMs'] as const) positive(name);
  if (options.maxLoadMs < options.minLoadMs) throw new RangeError(`maxLoadMs ${options.maxLoadMs} is smaller than minLoadMs ${options.minLoadMs}`);
  if (!(options.startupKillChance >= 0 && options.startupKillChance <= 1)) throw new RangeError(`startupKillChance must be from 0 to 1, got ${options.startupKillChance}`);
  return options;
}

export const HELP = `Usage: node dist/tools/crash.js --cycles N [--witness] [options]

Crash-consistency test of a real server process. Runs it under concurrent load, kills it with
SIGKILL at random moments (a seeded schedule), restarts it, and after every restart checks:

  log (default): the server is \`node bin/sealtrail.js serve\`, loaded by several submitters
  (one token each) with add-entry and add-entries, with and without idempotency keys, some sent
  again after the restart. After every restart: every receipt ever returned verifies (record,
  leaf, the checkpoint's signature, the inclusion proof, with the log's verifier key) and its
  entry is in the log at its index with the same leaf_input; the log's checkpoint is proven
  consistent with every checkpoint seen before; no index was handed out for two leaves, no
  idempotency key for two entries, no tree size signed with two roots.

  --witness: the server is the witness, \`node dist/tools/witness.js serve\`, cosigning a real log
  (not killed) that keeps growing, loaded with add-checkpoint requests from several clients, some
  stale and some forged (signed with the log's key but not proven consistent). After every
  restart: its cosigned state is at least every size it acknowledged and never goes backwards;
  every cosignature verifies with its key, on a root the log signed; it never cosigned two roots
  for one size, nor a forged checkpoint; cosignature times never go backwards.

  Both: the server serves again (answers a read) within --max-restart-ms of its restart; it never
  exits on its own; at the end it stops with exit code 0 on SIGTERM. In about one cycle in five
  the restart is first killed during its own start-up, too.

Prints a line per cycle and a verdict. Exit code 0 if every check held, 1 if one failed (the
message names it and the seed that replays the schedule), 2 for bad usage. Needs the build
(npm run build): it runs bin/sealtrail.js and dist/tools/witness.js.

Options:
  --cycles N            kill-and-restart cycles (required)
  --witness             crash the witness instead of the log
  --seed S              seed of the schedule, 0 to 4294967295 (default: random, printed)
  --data DIR            keep the data directories in DIR (created if missing, kept afterwards;
                        a log or witness already there is reused); default: a temp directory,
                        removed at the end
  --submitters K        submitter tokens (default ${DEFAULT_OPTIONS.submitters})
  --clients C           concurrent clients per submitter (default ${DEFAULT_OPTIONS.clients})
  --pushers P           (--witness) concurrent add-checkpoint clients (default ${DEFAULT_OPTIONS.pushers})
  --min-load-ms MS      shortest load before a kill (default ${DEFAULT_OPTIONS.minLoadMs})
  --max-load-ms MS      longest load before a kill (default ${DEFAULT_OPTIONS.maxLoadMs})
  --max-restart-ms MS   the longest a restart may take to serve (default ${DEFAULT_OPTIONS.maxRestartMs})
  -h, --help            show this help`;

/** The options of a command line. Throws UsageError. */
export function parseCommandLine(argv: string[]): CrashOptions {
  const { values } = parse(argv, {
    cycles: { type: 'string' },
    witness: { type: 'boolean' },
    seed: { type: 'string' },
    data: { type: 'string' },
    submitters: { type: 'string' },
    clients: { type: 'string' },
    pushers: { type: 'string' },
    'min-load-ms': { type: 'string' },
    'max-load-ms': { type: 'string' },
    'max-restart-ms': { type: 'string' },
  });
  if (values.cycles === undefined) throw new UsageError('--cycles is required');
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = /^(0|[1-9][0-9]{0,9})$/.test(values.seed) ? Number(values.seed) : NaN;
    if (!(seed <= 0xffffffff)) throw new UsageError(`--seed must be an integer from 0 to 4294967295, got ${JSON.stringify(values.seed)}`);
  }
  const minLoadMs = intFlag(values['min-load-ms'], '--min-load-ms', DEFAULT_OPTIONS.minLoadMs);
  const maxLoadMs = intFlag(values['max-load-ms'], '--max-load-ms', Math.max(DEFAULT_OPTIONS.maxLoadMs, minLoadMs));
  if (maxLoadMs < minLoadMs) throw new UsageError(`--max-load-ms ${maxLoadMs} is smaller than --min-load-ms ${minLoadMs}`);
  return resolveOptions({
    mode: values.witness ? 'witness' : 'log',
    cycles: intFlag(values.cycles, '--cycles', 1),
    ...(seed !== undefined ? { seed } : {}),
    ...(values.data !== undefined ? { data: values.data } : {}),
    submitters: intFlag(values.submitters, '--submitters', DEFAULT_OPTIONS.submitters),
    clients: intFlag(values.clients, '--clients', DEFAULT_OPTIONS.clients),
    pushers: intFlag(values.pushers, '--pushers', DEFAULT_OPTIONS.pushers),
    minLoadMs,
    maxLoadMs,
    maxRestartMs: intFlag(values['max-restart-ms'], '--max-restart-ms', DEFAULT_OPTIONS.maxRestartMs),
  });
}
