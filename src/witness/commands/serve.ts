/**
 * @module
 * `sealtrail witness serve`: push mode over HTTP (src/witness/http.ts), optionally polling too.
 */
import { headerPolicy } from '../../api/headers.js';
import { listen, readTlsFiles } from '../../api/server.js';
import { UsageError, intFlag, parse, parseAddr, required } from '../../cli/usage.js';
import type { Command } from '../../cli/usage.js';
import { DEFAULT_MAX_BODY_BYTES, createWitnessApp } from '../http.js';
import { jsonLogger } from '../logger.js';
import { openWitness } from '../runtime.js';
import { Watcher, sleep } from '../watch.js';
import { durationFlag } from './duration.js';
import { describeOutcome } from './report.js';

export const DEFAULT_WITNESS_ADDR = '127.0.0.1:8090';
/** The witness's one public read: a cosigned checkpoint, public data that browser monitors may fetch. */
const CHECKPOINT_PATH = /^\/[0-9a-f]{64}\/checkpoint$/;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'push mode: serve tlog-witness add-checkpoint over HTTP',
  help: `Usage: sealtrail witness serve --data DIR --config FILE [--addr HOST:PORT] [options]

Serves C2SP tlog-witness v1.0.0 in the foreground until SIGTERM or SIGINT (then finishes the
requests under way and exits 0):

  POST /add-checkpoint                   body "old <size>", proof lines, an empty line, the
                                         signed checkpoint; answers the cosignature line, or
                                         400, 403, 404, 409 (body: the latest size), 413, 422
  GET  /<hex SHA-256 of origin>/checkpoint   the latest checkpoint this witness cosigned
  GET  /healthz

Only logs in FILE are cosigned, and only checkpoints proven consistent with the last one cosigned.
With --poll the same process also polls the logs that have a "url" (see sealtrail witness watch).

Options:
  --data DIR             the witness's data directory (see sealtrail witness init)
  --config FILE          the configuration (JSON: logs, anchors)
  --addr HOST:PORT       listen address (default ${DEFAULT_WITNESS_ADDR}; :0 picks a free port)
  --max-body-bytes N     largest add-checkpoint body (default ${DEFAULT_MAX_BODY_BYTES}; 413 beyond)
  --poll DURATION        also poll the logs with a url every DURATION (e.g. 30s)
  --tls-cert FILE        serve HTTPS (TLS 1.2 at least) with this PEM certificate chain; needs --tls-key
  --tls-key FILE         …and this PEM private key (mode 0600, like the witness key)
  -h, --help             show this help`,
  async run(argv) {
    const { values } = parse(argv, {
      data: { type: 'string' },
      config: { type: 'string' },
      addr: { type: 'string' },
      'max-body-bytes': { type: 'string' },
      poll: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
    });
    const dir = required(values.data, '--data');
    const configFile = required(values.config, '--config');
    const { host, port } = parseAddr(values.addr ?? DEFAULT_WITNESS_ADDR);
    const maxBodyBytes = intFlag(values['max-body-bytes'], '--max-body-bytes', DEFAULT_MAX_BODY_BYTES);
    const pollMs = values.poll === undefined ? undefined : durationFlag(values.poll, '--poll', 30_000);
    if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
      throw new UsageError('give both --tls-cert FILE and --tls-key FILE to serve HTTPS, or neither to serve HTTP');
    }
    const tls = values['tls-cert'] === undefined ? undefined : await readTlsFiles(values['tls-cert'], values['tls-key']!);

    const logger = jsonLogger();
    const opened = await openWitness(dir, configFile, logger);
    const { witness } = opened;
    const app = createWitnessApp(witness, {
      maxBodyBytes,
      report: (e) => logger.log('error', 'internal error', { error: e.stack ?? e.message }),
    });
    // The log's server limits and security headers; refusals in the witness's text form.
    const server = await listen(app, host, port, {
      ...(tls ? { tls } : {}),
      refusals: 'text',
      headers: headerPolicy({ tls: tls !== undefined, isPublicRead: (path) => CHECKPOINT_PATH.test(path) }),
    }).catch(async (e: Error) => {
      await opened.close();
      throw new Error(`cannot listen on ${host}:${port}: ${e.message}`);
    });

    const stop = new AbortController();
    let polling: Promise<void> = Promise.resolve();
    if (pollMs !== undefined) {
      const watcher = new Watcher(witness, { signal: stop.signal });
      polling = (async () => {
        do {
          for (const outcome of await watcher.round()) {
            console.log(describeOutcome(outcome, dir));
            if (outcome.status === 'unavailable') logger.log('warn', 'a log could not be checked', { origin: outcome.origin, error: outcome.error });
          }
        } while (await sleep(pollMs, stop.signal));
      })().catch((e: Error) => logger.log('error', 'polling stopped on an internal error', { error: e.stack ?? e.message }));
    }

    console.log(`sealtrail witness: ${witness.name}, verifier key ${opened.verifierKey}`);
    console.log(`sealtrail witness: cosigning ${opened.config.logs.map((l) => l.origin).join(', ')}`);
    return new Promise<number>((resolve) => {
      const shutdown = (signal: string): void => {
        if (stop.signal.aborted) {
          console.error(`sealtrail witness: ${signal} again, exiting without waiting`);
          process.exit(1);
        }
        stop.abort();
        console.log(`sealtrail witness: ${signal}: finishing the requests under way`);
        void (async () => {
          await polling;
          await server.close();
          await opened.close();
          console.log('sealtrail witness: stopped');
          resolve(0);
        })();
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      // Only now say so: a supervisor reading this line may signal at once (pipe writes are synchronous).
      console.log(`sealtrail witness: serving ${witness.name} on ${server.url}`);
    });
  },
};
