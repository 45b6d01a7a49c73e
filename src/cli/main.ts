/**
 * @module
 * The `sealtrail` command: dispatches to a subcommand. Exit codes: 0 ok, 1 failure, 2 usage.
 */
import { readFileSync } from 'node:fs';
import { exportCommand } from './commands/export.js';
import { init } from './commands/init.js';
import { retentionCommand } from './commands/retention.js';
import { serve } from './commands/serve.js';
import { tailCommand } from './commands/tail.js';
import { tenantCommand } from './commands/tenant.js';
import { token } from './commands/token.js';
import { verifyBundleCommand } from './commands/verify-bundle.js';
import { verifyReceiptCommand } from './commands/verify-receipt.js';
import { witness } from '../witness/cli.js';
import { runCommand } from './usage.js';
import type { Command } from './usage.js';

const COMMANDS: readonly Command[] = [init, serve, token, tenantCommand, verifyReceiptCommand, exportCommand, verifyBundleCommand, tailCommand, retentionCommand, witness];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: sealtrail COMMAND [options]

A transparency log for audit records (RFC 6962 Merkle tree, C2SP checkpoints and tiles).

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "sealtrail COMMAND --help" for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    console.log(topic ? topic.help : overview());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(version());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`sealtrail: unknown command ${JSON.stringify(name)}\n\n${overview()}`);
    return 2;
  }
  return runCommand(command, rest, `sealtrail ${command.name}`);
}
