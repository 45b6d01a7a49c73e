/**
 * @module
 * `sealtrail witness watch`: poll mode in rounds (src/witness/watch.ts), or one round for cron.
 */
import { parse, intFlag, required } from '../../cli/usage.js';
import type { Command } from '../../cli/usage.js';
import { jsonLogger } from '../logger.js';
import { openWitness } from '../runtime.js';
import { Watcher, sleep } from '../watch.js';
import { durationFlag } from './duration.js';
import { describeOutcome } from './report.js';

export const watchCommand: Command = {
  name: 'watch',
  summary: 'poll mode: fetch, verify and cosign the logs\' checkpoints periodically',
  help: `Usage: sealtrail witness watch --data DIR --config FILE [--interval 30s] [--once] [options]

For each configured log with a "url", in rounds: GET <url>/checkpoint, verify the log's signature
(other signature lines are ignored), fetch the consistency proof from the last cosigned size
(GET <url>/ct/v1/get-sth-consistency), verify it, cosign, and record the new state. Network
errors are retried with backoff; a log that still cannot be reached is reported and tried again
next round.

Fork evidence (the log signs two checkpoints of one size with different roots, or serves a signed
checkpoint it cannot prove consistent with the cosigned one on every attempt) is written to
DIR/evidence/, logged at error level, sent to the webhooks, and the log is refused until
"sealtrail witness clear". watch then finishes the round and exits 1.

One round per --interval until SIGTERM or SIGINT (exit 0). With --once: one round, then exit 0 if
every log was cosigned, 1 if any was refused, forked or could not be checked (for cron).
The witness store is opened exclusively: run watch or serve on a data directory, not both
(serve --poll does both in one process).

Options:
  --data DIR           the witness's data directory (see sealtrail witness init)
  --config FILE        the configuration (JSON: logs, anchors)
  --interval DURATION  time between rounds (default 30s; units ms, s, m, h)
  --once               run one round and exit
  --attempts N         tries per log per round before giving up (default 4)
  --retry-delay D      wait before the second try, doubled before each next (default 1s)
  --timeout D          per HTTP request (default 10s)
  -h, --help           show this help`,
  async run(argv) {
    const { values } = parse(argv, {
      data: { type: 'string' },
      config: { type: 'string' },
      interval: { type: 'string' },
      once: { type: 'boolean' },
      attempts: { type: 'string' },
      'retry-delay': { type: 'string' },
      timeout: { type: 'string' },
    });
    const dir = required(values.data, '--data');
    const configFile = required(values.config, '--config');
    const intervalMs = durationFlag(values.interval, '--interval', 30_000);
    const attempts = intFlag(values.attempts, '--attempts', 4);
    const retryDelayMs = durationFlag(values['retry-delay'], '--retry-delay', 1000);
    const timeoutMs = durationFlag(values.timeout, '--timeout', 10_000);
    const once = values.once === true;

    const logger = jsonLogger();
    const opened = await openWitness(dir, configFile, logger);
    const stop = new AbortController();
    const watcher = new Watcher(opened.witness, { attempts, retryDelayMs, timeoutMs, signal: stop.signal });
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stop.signal.aborted) {
        console.error(`sealtrail witness: ${signal} again, exiting without waiting`);
        process.exit(1);
      }
      console.error(`sealtrail witness: ${signal}: stopping after the checks under way`);
      stop.abort();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      if (watcher.polledLogs.length === 0) throw new Error(`no log in ${configFile} has a "url"; poll mode reads <url>/checkpoint`);
      const pushOnly = opened.config.logs.length - watcher.polledLogs.length;
      if (pushOnly > 0) logger.log('info', `${pushOnly} configured log(s) without a url are push-only and not polled`);
      for (;;) {
        const outcomes = await watcher.round();
        for (const outcome of outcomes) {
          console.log(describeOutcome(outcome, dir));
          if (outcome.status === 'unavailable') logger.log('warn', 'a log could not be checked', { origin: outcome.origin, error: outcome.error });
        }
        if (outcomes.some((o) => o.status === 'fork')) return 1;
        // A cron run exits right away: deliver what this round anchored first (failures stay
        // pending in the anchor store and are retried by the next run).
        if (once) await opened.flushAnchors();
        if (once) return stop.signal.aborted || outcomes.every((o) => o.status === 'cosigned') ? 0 : 1;
        if (!(await sleep(intervalMs, stop.signal))) return 0;
      }
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await opened.close();
    }
  },
};
