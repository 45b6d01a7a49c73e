/**
 * @module
 * `sealtrail retention run`: the retention job on demand (spec/formats.md §16.5), with the server
 * stopped. It runs the job the server runs on its interval, to completion, or lists with
 * `--dry-run` what that would erase.
 */
import { RetentionJob } from '../../log/retention.js';
import type { RetentionErasure } from '../../log/retention.js';
import { loadServeConfig } from '../config.js';
import { MASTER_KEY_ENV, openLog } from '../datadir.js';
import { UsageError, oneSubcommand, parse, required, requiredToken } from '../usage.js';
import type { Command } from '../usage.js';

const HELP = `Usage: sealtrail retention run --data DIR --config FILE [--dry-run] [--master-key FILE]
       sealtrail retention run --url URL --token ADMIN [--dry-run]

Runs the retention job once, to completion: with --data on a stopped log (the store is opened
exclusively), with --url on a serving log, which applies the policy it was started with
(POST /v1/retention/run, given an admin token for every tenant). Every record older than its retention period has its fields erased, all but
tenant_id, event_id and the policy's field, each by an erasure entry with reason "retention" and
requested_by "retention". The tree, the leaves and every proof are unchanged. The policy is the
"retention" key of FILE, the same file as serve --config:

  {"retention": {"field": "category", "periods": {"block": "7y", "normal": "1y"}, "default": "3y"}}

Periods are Nd, Nw (7 days) or Ny (365 days). A record's age is from its leaf time.

Options:
  --data DIR         the data directory of a stopped log
  --config FILE      (with --data) the serve config holding the "retention" policy
  --url URL          the base URL of a serving log…
  --token TOKEN      …and an admin token for every tenant (default: $SEALTRAIL_TOKEN)
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
        url: { type: 'string' },
        token: { type: 'string' },
      });
      if (values.url !== undefined) {
        const local = (['data', 'config', 'master-key'] as const).filter((k) => values[k] !== undefined);
        if (local.length > 0) throw new UsageError(`--url runs the serving log's own policy; it takes no ${local.map((k) => `--${k}`).join(', ')}`);
        return runRemote(values.url, requiredToken(values.token), values['dry-run'] ?? false);
      }
      if (values.token !== undefined) throw new UsageError('--token goes with --url; with --data no token is needed');
      const dir = required(values.data, '--data');
      const configFile = required(values.config, '--config (the serve config file whose "retention" key holds the policy)');
      const config = await loadServeConfig(configFile);
      if (!config.retention) throw new UsageError(`${configFile} has no "retention" key: there is no policy to apply`);
      const dryRun = values['dry-run'] ?? false;

      const { log, store } = await openLog(dir, values['master-key']);
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

interface RemoteRun {
  readonly erasures: { target_index: number; fields: string[]; period_days: number; time: number; erasure_index?: number }[];
  readonly examined: number;
  readonly complete: boolean;
}

/**
 * Runs the serving log's job until a run is complete. A dry run moves no cursor, so it is one
 * bounded run: what the next run would erase, up to the server's per-run limit.
 */
async function runRemote(url: string, token: string, dryRun: boolean): Promise<number> {
  const endpoint = `${url.replace(/\/+$/, '')}/v1/retention/run`;
  let erased = 0;
  let examined = 0;
  for (;;) {
    const run = await postRun(endpoint, token, dryRun);
    for (const e of run.erasures) {
      console.log(describe({ targetIndex: e.target_index, fields: e.fields, periodDays: e.period_days, time: e.time, ...(e.erasure_index === undefined ? {} : { erasureIndex: e.erasure_index }) }, dryRun));
    }
    erased += run.erasures.length;
    examined += run.examined;
    if (dryRun) {
      const more = run.complete ? '' : '; the server stopped at its per-run limit, and a run would go on from there';
      console.log(`dry run: would erase ${erased} record${erased === 1 ? '' : 's'} (examined ${examined} entries${more}); nothing changed`);
      return 0;
    }
    if (run.complete) break;
  }
  console.log(`erased ${erased} record${erased === 1 ? '' : 's'} (examined ${examined} entries)`);
  return 0;
}

async function postRun(endpoint: string, token: string, dryRun: boolean): Promise<RemoteRun> {
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dry_run: dryRun }),
      signal: AbortSignal.timeout(300_000),
    });
  } catch (e) {
    throw new Error(`cannot reach ${endpoint}: ${(e as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 300);
    try {
      message = String((JSON.parse(text) as { error_message?: unknown }).error_message ?? message);
    } catch {
      // not the log's error body: show it as it came
    }
    throw new Error(`the log refused (HTTP ${res.status}): ${message}`);
  }
  return JSON.parse(text) as RemoteRun;
}
