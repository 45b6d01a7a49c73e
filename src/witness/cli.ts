/**
 * @module
 * The `witness` command (`sealtrail witness SUBCOMMAND`, or the witness's own entry point
 * `node dist/tools/witness.js SUBCOMMAND`). Exit codes as src/cli/main.ts: 0 ok, 1 failure, 2 usage.
 */
import { runCommand } from '../cli/usage.js';
import type { Command } from '../cli/usage.js';
import { anchorsCommand } from './commands/anchors.js';
import { clearCommand } from './commands/clear.js';
import { initCommand } from './commands/init.js';
import { serveCommand } from './commands/serve.js';
import { watchCommand } from './commands/watch.js';

/** The subcommands, in the order `--help` lists them. */
export const WITNESS_SUBCOMMANDS: readonly Command[] = [initCommand, serveCommand, watchCommand, anchorsCommand, clearCommand];

function overview(): string {
  const width = Math.max(...WITNESS_SUBCOMMANDS.map((c) => c.name.length));
  return `Usage: sealtrail witness SUBCOMMAND [options]

An independent witness (C2SP tlog-witness, tlog-cosignature): it cosigns a log's checkpoints only
when they are proven consistent with the last one it cosigned, and records evidence when the log
signs two views of its tree that cannot both be true. It never shares a process, a key or a store
with the logs it watches.

Subcommands:
${WITNESS_SUBCOMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "sealtrail witness SUBCOMMAND --help" for a subcommand's options.`;
}

/** Dispatches to a subcommand, printing errors and help itself; returns the exit code. */
export async function runWitness(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? WITNESS_SUBCOMMANDS.find((c) => c.name === rest[0]) : undefined;
    console.log(topic ? topic.help : overview());
    return name === undefined ? 2 : 0;
  }
  const command = WITNESS_SUBCOMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`sealtrail witness: unknown subcommand ${JSON.stringify(name)}\n\n${overview()}`);
    return 2;
  }
  return runCommand(command, [...rest], `sealtrail witness ${command.name}`);
}

/** For src/cli/main.ts: `sealtrail witness ...`, which answers each subcommand's `--help` itself. */
export const witness: Command = {
  name: 'witness',
  summary: 'run an independent witness: cosign logs\' checkpoints, detect forks, anchor',
  get help(): string {
    return overview();
  },
  hasSubcommands: true,
  run: (argv) => runWitness(argv),
};
