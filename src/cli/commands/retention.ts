/**
 * @module
 * `sealtrail retention run`: the retention job on demand (spec/formats.md §16.5), with the server
 * stopped. It runs the job the server runs on its interval, to completion, or lists with
 * `--dry-run` what that would erase.
 */
import { Log } from '../../log/log.js';
import { RetentionJob } from '../../log/retention.js';
import type { RetentionErasure } from '../../log/retention.js';
import { loadServeConfig } from '../config.js';
import { MASTER_KEY_ENV, dataPaths, exists, loadKeys, openStore, requireMasterKey } from '../datadir.js';
import { UsageError, oneSubcommand, parse, required } from '../usage.js';
import type { Command } from '../usage.js';

const HELP = `Usage: sealtrail retention run --data DIR --config FILE [--dry-run] [--master-key FILE]

Runs the retention job once, to completion, with the server stopped (the store is opened
exclusively): every record older than its retention period has its fields erased, all but
tenant_id, event_id and the policy's field, each by an erasure entry with reason "retention" and
requested_by "retention". The tree, the leaves and every proof are unchanged. The policy is the
"retention" key of FILE, the same file as serve --config:

  {"retention": {"field": "category", "periods": {"block": "7y", "normal": "1y"}, "default": "3y"}}

Periods are Nd, Nw (7 days) or Ny (365 days). A record's age is from its leaf time.

Options:
  --data DIR         the data directory
  --config FILE      the serve config holding the "retention" policy
  --dry-run          list what would be erased; change nothing
  --master-key FILE  the master key (default: $${MASTER_KEY_ENV}, else DIR.master-key)
  -h, --help         show this help`.replace('$${', '${');

function describe(e: RetentionErasure, dryRun: boolean): string {
  const what = dryRun ? 'would erase' : `erased (erasure entry ${e.erasureIndex})`;
  return `${what} record ${e.targetIndex} of ${new Date(e.time).toISOString()} (period ${e.periodDays} d): ${e.fields.join(', ')}`;
}

/**
 * The command, with the clock it ages records by (tests give a fake one). The log itself keeps the
 * real clock: the sequencer times its passes by it, and the erasure entries carry the real time.
 */
export function makeRetentionCommand(now: () => number = Date.now): Command {
  return {
    name: 'retention',
    summary: 'run the retention job now, or list what it would erase (retention run)',
    help: HELP,
    hasSubcommands: true,
    async run(argv) {
      const rest = oneSubcommand(argv, 'run', HELP);
      if (typeof rest === 'number') return rest;
      const { values } = parse(rest, {
        data: { type: 'string' },
        config: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'master-key': { type: 'string' },
      });
      const dir = required(values.data, '--data');
      const configFile = required(values.config, '--config (the serve config file whose "retention" key holds the policy)');
      const config = await loadServeConfig(configFile);
      if (!config.retention) throw new UsageError(`${configFile} has no "retention" key: there is no policy to apply`);
      const dryRun = values['dry-run'] ?? false;

      const paths = dataPaths(dir);
      if (!(await exists(paths.db))) throw new Error(`no log in ${dir} (create one with: sealtrail init --data ${dir} --origin NAME)`);
      const { signer, verifier } = await loadKeys(dir);
      const masterKey = await requireMasterKey(dir, values['master-key']);
      const store = await openStore(paths.db, masterKey.key);
      let log: Log;
      try {
        log = await Log.open({ store, signer, verifier });
      } catch (e) {
        await store.close();
        throw e;
      }
      try {
        const job = new RetentionJob({ log, store, policy: config.retention.policy, now });
        const report = await job.runToCompletion({ dryRun });
        for (const e of report.erasures) console.log(describe(e, dryRun));
        const n = report.erasures.length;
        console.log(
          dryRun
            ? `dry run: would erase ${n} record${n === 1 ? '' : 's'} (examined ${report.examined} entries); nothing changed`
            : `erased ${n} record${n === 1 ? '' : 's'} (examined ${report.examined} entries; tree size ${log.head.size})`,
        );
        return 0;
      } finally {
        await log.close();
      }
    },
  };
}

export const retentionCommand: Command = makeRetentionCommand();
