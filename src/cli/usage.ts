/**
 * @module
 * Argument parsing shared by the commands: `node:util` parseArgs, with usage errors (exit 2) kept
 * apart from failures (exit 1).
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly help: string;
  /** A command with subcommands answers `--help` itself, so each subcommand shows its own help. */
  readonly hasSubcommands?: boolean;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * For a command with one subcommand (`retention run`, `tenant shred`): the subcommand's arguments,
 * or the exit code when help was asked for (0) or nothing was given (2, with the help printed).
 */
export function oneSubcommand(argv: string[], name: string, help: string): string[] | number {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || rest.includes('--help') || rest.includes('-h')) {
    console.log(help);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== name) throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}; the one subcommand is: ${name}`);
  return rest;
}

/**
 * Runs `command` with `argv` the way every sealtrail command runs: `--help` answered (unless the
 * command has subcommands, which answer it themselves), a UsageError printed with the help and
 * exit 2, any other error printed on one line and exit 1. `label` prefixes messages
 * (`sealtrail serve`, `sealtrail witness watch`).
 */
export async function runCommand(command: Command, argv: string[], label: string): Promise<number> {
  if (!command.hasSubcommands && (argv.includes('--help') || argv.includes('-h'))) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${label}: ${e.message}\n\n${command.help}`);
      return 2;
    }
    console.error(`${label}: ${(e as Error).message}`);
    return 1;
  }
}

export function parse<O extends Options>(argv: string[], options: O, positionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * The bearer token a client command sends: `--token`, or else $SEALTRAIL_TOKEN, which keeps it out
 * of the process list and shell history (another user can read a command line in `ps`, not an
 * environment). Undefined if neither is set.
 */
export function tokenFlag(value: string | undefined): string | undefined {
  const token = value ?? process.env['SEALTRAIL_TOKEN'];
  return token === '' ? undefined : token;
}

/** tokenFlag, required. */
export function requiredToken(value: string | undefined): string {
  const token = tokenFlag(value);
  if (token === undefined) throw new UsageError('--token (or $SEALTRAIL_TOKEN) is required');
  return token;
}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

/** A positive integer flag. */
export function intFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[1-9][0-9]{0,14}$/.test(value)) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** HOST:PORT, [IPv6]:PORT or :PORT. */
export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--addr must be HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080, 0.0.0.0:8080), got ${JSON.stringify(addr)}`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}
