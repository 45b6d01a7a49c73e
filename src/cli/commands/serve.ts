import { createApp } from '../../api/app.js';
import { DEFAULT_RATE_LIMITS } from '../../api/ratelimit.js';
import { DEFAULT_SERVER_LIMITS, listen, readTlsFiles } from '../../api/server.js';
import type { TlsFiles } from '../../api/server.js';
import { Authenticator, createToken } from '../../auth/tokens.js';
import { Log } from '../../log/log.js';
import { DEFAULT_SEQUENCER_OPTIONS } from '../../log/sequencer.js';
import { logId } from '../../note/index.js';
import { DEFAULT_RECORD_LIMITS } from '../../record/index.js';
import { toBase64 } from '../../util/bytes.js';
import { MASTER_KEY_ENV, dataPaths, exists, findMasterKey, initLog, loadKeys, openStore, requireMasterKey } from '../datadir.js';
import { defaultOrigin } from '../origin.js';
import { DEFAULT_SERVE_CONFIG, loadServeConfig } from '../config.js';
import { WitnessPusher } from '../../log/witnesses.js';
import { RetentionJob } from '../../log/retention.js';
import { LOG_LEVELS, Metrics, createLogger, isLogLevel, sequencerObserver } from '../../observability/index.js';
import { UsageError, intFlag, parse, parseAddr } from '../usage.js';
import type { Command } from '../usage.js';

const DEFAULT_MAX_BATCH_BYTES = 16 * 1024 * 1024;

export const serve: Command = {
  name: 'serve',
  summary: 'run the log server in the foreground',
  help: `Usage: sealtrail serve [--data DIR] [--addr HOST:PORT] [options]

Serves the log in DIR over HTTP (HTTPS with --tls-cert and --tls-key) until SIGTERM or SIGINT,
then stops accepting entries, finishes the pass in progress, closes the store and exits 0. If DIR
holds no log yet, creates one with a generated origin and a first submitter token, and prints both;
records are encrypted at rest under a master key, which it creates beside DIR (DIR.master-key,
mode 0600) unless one is given.

Options:
  --data DIR                 data directory (default ./data)
  --addr HOST:PORT           listen address (default 127.0.0.1:8080; :0 picks a free port)
  --master-key FILE          the master key (32 bytes, raw or base64; mode 0600, outside DIR); default:
                             ${MASTER_KEY_ENV} (base64), else DIR.master-key
  --max-record-bytes N       largest add-entry body and largest record in a batch (default ${DEFAULT_RECORD_LIMITS.maxRecordBytes})
  --max-batch-bytes N        largest add-entries body (default ${DEFAULT_MAX_BATCH_BYTES})
  --batch-max-entries N      a sequencing pass starts at N pooled entries (default ${DEFAULT_SEQUENCER_OPTIONS.maxBatchEntries})
  --batch-max-delay-ms N     …or when the oldest pooled entry has waited N ms (default ${DEFAULT_SEQUENCER_OPTIONS.maxDelayMs})
  --max-pending N            pool capacity in entries; beyond it, 503 + Retry-After (default ${DEFAULT_SEQUENCER_OPTIONS.maxPendingEntries})
  --config FILE              JSON settings: {"witnesses": [{"url", "verifier_key"}], "witness_push_interval_seconds": 5,
                             "retention": {"field": "category", "periods": {"normal": "1y"}, "default": "3y",
                             "interval_seconds": 3600, "max_erasures_per_run": 100}} (retention: spec/formats.md §16.5),
                             "http": {"request_timeout_seconds": ${DEFAULT_SERVER_LIMITS.requestTimeoutMs / 1000}, "headers_timeout_seconds": ${DEFAULT_SERVER_LIMITS.headersTimeoutMs / 1000},
                             "keep_alive_timeout_seconds": ${DEFAULT_SERVER_LIMITS.keepAliveTimeoutMs / 1000}, "max_header_bytes": ${DEFAULT_SERVER_LIMITS.maxHeaderBytes},
                             "max_connections": ${DEFAULT_SERVER_LIMITS.maxConnections}}, "rate_limits": {"submitter": {"per_second": ${DEFAULT_RATE_LIMITS.submitter?.perSecond},
                             "burst": ${DEFAULT_RATE_LIMITS.submitter?.burst}}, "auditor": {...}, "admin": {...}} ("per_second": 0: no limit),
                             "tls": {"cert": FILE, "key": FILE} (spec/formats.md §22)
  --tls-cert FILE            serve HTTPS (TLS 1.2 at least) with this PEM certificate chain; needs --tls-key
  --tls-key FILE             …and this PEM private key (mode 0600, like every key); both override the config's "tls"
  --log-level LEVEL          JSON log lines on stderr at LEVEL or above: ${LOG_LEVELS.join(', ')} (default info)
  -h, --help                 show this help`,
  async run(argv) {
    const { values } = parse(argv, {
      data: { type: 'string' },
      addr: { type: 'string' },
      'max-record-bytes': { type: 'string' },
      'max-batch-bytes': { type: 'string' },
      'batch-max-entries': { type: 'string' },
      'batch-max-delay-ms': { type: 'string' },
      'max-pending': { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      'master-key': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
    });
    const level = values['log-level'] ?? 'info';
    if (!isLogLevel(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
    const config = values.config === undefined ? DEFAULT_SERVE_CONFIG : await loadServeConfig(values.config);
    if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
      throw new UsageError('give both --tls-cert FILE and --tls-key FILE to serve HTTPS, or neither to serve HTTP');
    }
    const tlsConfig = values['tls-cert'] !== undefined ? { certFile: values['tls-cert'], keyFile: values['tls-key']! } : config.tls;
    // Read before anything is created or opened: a wrong file stops the start-up at once.
    const tls: TlsFiles | undefined = tlsConfig && (await readTlsFiles(tlsConfig.certFile, tlsConfig.keyFile));
    const dir = values.data ?? './data';
    const { host, port } = parseAddr(values.addr ?? '127.0.0.1:8080');
    const limits = { ...DEFAULT_RECORD_LIMITS, maxRecordBytes: intFlag(values['max-record-bytes'], '--max-record-bytes', DEFAULT_RECORD_LIMITS.maxRecordBytes) };
    const maxBatchBytes = intFlag(values['max-batch-bytes'], '--max-batch-bytes', DEFAULT_MAX_BATCH_BYTES);
    const sequencer = {
      maxBatchEntries: intFlag(values['batch-max-entries'], '--batch-max-entries', DEFAULT_SEQUENCER_OPTIONS.maxBatchEntries),
      maxDelayMs: intFlag(values['batch-max-delay-ms'], '--batch-max-delay-ms', DEFAULT_SEQUENCER_OPTIONS.maxDelayMs),
      maxPendingEntries: intFlag(values['max-pending'], '--max-pending', DEFAULT_SEQUENCER_OPTIONS.maxPendingEntries),
    };

    const paths = dataPaths(dir);
    let firstToken: string | undefined;
    if (!(await exists(paths.signerKey)) && !(await exists(paths.db))) {
      const origin = defaultOrigin();
      const { createdMasterKey } = await initLog(dir, origin, (await findMasterKey(dir, values['master-key']))?.key);
      const store = await openStore(paths.db);
      try {
        firstToken = await createToken(store, { name: 'submitter', role: 'submitter', createdAt: Date.now() });
      } finally {
        await store.close();
      }
      console.log(`sealtrail: created a new log in ${dir}`);
      console.log(`  origin:       ${origin}`);
      if (createdMasterKey !== undefined) {
        console.log(`  master key:   created ${createdMasterKey} (mode 0600), beside the data directory: records are encrypted`);
        console.log(`                under it; keep it (and a backup) apart from the data, without it they cannot be read`);
      }
    }

    // JSON log lines go to stderr; the human-readable lines below stay on stdout, where scripts read them.
    const logger = createLogger(level);
    const metrics = new Metrics();
    const { signer, verifier, verifierKey } = await loadKeys(dir);
    const masterKey = await requireMasterKey(dir, values['master-key']);
    const store = await openStore(paths.db, masterKey.key);
    let log: Log;
    let auth: Authenticator;
    try {
      log = await Log.open({ store, signer, verifier, sequencer, observer: sequencerObserver(metrics, logger) });
      auth = await Authenticator.load(store);
    } catch (e) {
      await store.close();
      throw e;
    }
    const witnesses = new WitnessPusher({
      source: log,
      witnesses: config.witnesses,
      intervalMs: config.witnessPushIntervalMs,
      report: ({ level: _level, msg, ...fields }) => logger.warn(fields, String(msg)),
    });
    const retention = config.retention
      ? new RetentionJob({
          log,
          store,
          policy: config.retention.policy,
          maxErasuresPerRun: config.retention.maxErasuresPerRun,
          report: (e) => logger.warn({ err: (e as Error).message }, 'retention run failed; the next run retries'),
          onRun: (r) => {
            if (r.erasures.length > 0 || !r.complete) logger.info({ erased: r.erasures.length, examined: r.examined, complete: r.complete }, 'retention run');
          },
        })
      : undefined;
    let stopping = false;
    const app = createApp({
      log,
      auth,
      verifierKey,
      logId: toBase64(logId(signer.publicKey)),
      limits,
      maxBatchBytes,
      isStopping: () => stopping,
      witnesses,
      metrics,
      logger,
      ...(retention ? { retention } : {}),
      rateLimits: config.rateLimits ?? DEFAULT_RATE_LIMITS,
    });
    let lastDropWarning = 0;
    const server = await listen(app, host, port, {
      limits: config.http ?? DEFAULT_SERVER_LIMITS,
      ...(tls ? { tls } : {}),
      onDrop: () => {
        metrics.connectionDropped();
        // At most one line a minute: a flood of connections must not become a flood of log lines.
        const now = Date.now();
        if (now - lastDropWarning >= 60_000) {
          lastDropWarning = now;
          logger.warn({ max_connections: (config.http ?? DEFAULT_SERVER_LIMITS).maxConnections }, 'connection limit reached; new connections are closed on arrival (sealtrail_connections_dropped_total counts them)');
        }
      },
    }).catch(async (e: Error) => {
      await log.close();
      throw new Error(`cannot listen on ${host}:${port}: ${e.message}`);
    });

    if (firstToken !== undefined) {
      console.log(`  verifier key: ${verifierKey}  (also in ${paths.verifierKey})`);
      console.log(`  a submitter token, shown once (only its hash is stored), keep it now:`);
      console.log(`  ${firstToken}`);
      console.log(`  more tokens: sealtrail token create --data ${dir} --role ROLE --name NAME (server stopped), or --url with an admin token`);
    }
    witnesses.start();
    if (retention && config.retention) {
      retention.start(config.retention.intervalMs);
      console.log(`sealtrail: retention job every ${config.retention.intervalMs / 1000} s (at most ${config.retention.maxErasuresPerRun} erasures a run)`);
    }
    if (config.witnesses.length > 0) console.log(`sealtrail: pushing checkpoints to ${config.witnesses.length} witness(es) every ${config.witnessPushIntervalMs / 1000} s`);
    return new Promise<number>((resolve) => {
      const shutdown = (signal: string): void => {
        if (stopping) {
          console.error(`sealtrail: ${signal} again, exiting without waiting`);
          logger.flush();
          process.exit(1);
        }
        stopping = true;
        console.log(`sealtrail: ${signal}: no new entries; finishing the pass in progress`);
        logger.info({ signal, tree_size: log.head.size, pending_entries: log.pendingEntries }, 'stopping');
        void (async () => {
          // The retention job first: its erasures go through the sequencer, which drain closes.
          await retention?.close();
          await log.drain();
          await witnesses.close();
          await server.close();
          await log.close();
          console.log(`sealtrail: stopped at tree size ${log.head.size}`);
          logger.info({ tree_size: log.head.size }, 'stopped');
          logger.flush();
          resolve(0);
        })();
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
      // Only now say so: on Linux a write to a pipe is synchronous, so a supervisor that reads this
      // line may signal at once, and the handlers above must already be there.
      console.log(`sealtrail: serving ${log.origin} (tree size ${log.head.size}, ${auth.size} token${auth.size === 1 ? '' : 's'}) on ${server.url}`);
      logger.info({ origin: log.origin, tree_size: log.head.size, url: server.url, witnesses: config.witnesses.length }, 'serving');
    });
  },
};
