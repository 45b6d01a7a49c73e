/**
 * @module
 * `sealtrail tenant shred`: crypto-shredding (spec/formats.md §20.3). Destroys a tenant's data key,
 * recorded by an erasure entry appended through the log's sequencer, like an erasure over HTTP.
 */
import { checkTenant } from '../../auth/scope.js';
import { MASTER_KEY_ENV, openLog } from '../datadir.js';
import { UsageError, oneSubcommand, parse, required } from '../usage.js';
import type { Command } from '../usage.js';

const HELP = `Usage: sealtrail tenant shred --data DIR --tenant T [--master-key FILE] [--requested-by NAME]

Crypto-shreds tenant T, with the server stopped: destroys T's data key, so that the values and salts
of every record with tenant_id T logged so far can never be read again (they read as erased, by the
erasure entry this appends: {"tenant_id": T, "reason": "crypto-shred", "requested_by": NAME}). The
tree, the leaves and every proof are unchanged; the records' commitments remain, so they still verify.
Records of T logged later are encrypted under a new key. This cannot be undone.

Options:
  --data DIR           the data directory
  --tenant T           the tenant (a record's top-level string tenant_id)
  --master-key FILE    the master key (default: $${MASTER_KEY_ENV}, else DIR.master-key)
  --requested-by NAME  who asked for it, written into the erasure entry (default: $USER, else "cli")
  -h, --help           show this help`.replace('$${', '${');

export const tenantCommand: Command = {
  name: 'tenant',
  summary: 'crypto-shred a tenant: destroy its data key (tenant shred)',
  help: HELP,
  hasSubcommands: true,
  async run(argv) {
    const rest = oneSubcommand(argv, 'shred', HELP);
    if (typeof rest === 'number') return rest;
    const { values } = parse(rest, {
      data: { type: 'string' },
      tenant: { type: 'string' },
      'master-key': { type: 'string' },
      'requested-by': { type: 'string' },
    });
    const dir = required(values.data, '--data');
    const tenant = required(values.tenant, '--tenant');
    const problem = checkTenant(tenant);
    if (problem) throw new UsageError(`--tenant ${JSON.stringify(tenant)}: ${problem}`);
    const requestedBy = values['requested-by'] ?? process.env['USER'] ?? 'cli';
    if (requestedBy.length === 0 || requestedBy.length > 256) throw new UsageError('--requested-by must be 1 to 256 characters');

    const { log } = await openLog(dir, values['master-key']);
    try {
      const { erasureIndex } = await log.shredTenant(tenant, requestedBy);
      console.log(`shredded tenant ${JSON.stringify(tenant)}: its data key is destroyed; erasure entry ${erasureIndex} records it (tree size ${log.head.size})`);
      return 0;
    } finally {
      await log.close();
    }
  },
};
