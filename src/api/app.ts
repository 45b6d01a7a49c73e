/**
 * @module
 * The HTTP API (PROTOCOL §5; spec/openapi.yaml). Handlers are thin: parse, call the log, format.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Authenticator } from '../auth/tokens.js';
import { Log } from '../log/log.js';
import type { PreparedRecord } from '../log/sequencer.js';
import type { WitnessStatus } from '../log/witnesses.js';
import { TILE_WIDTH, parseTilePath, TilePathError } from '../merkle/index.js';
import { parseRecord, parseRecordBatch, stringField } from '../record/index.js';
import type { RecordField, RecordLimits } from '../record/index.js';
import { toBase64 } from '../util/bytes.js';
import { LogError } from '../util/errors.js';
import { errorResponse, onError } from './errors.js';
import { Metrics, silentLogger } from '../observability/index.js';
import type { Logger } from '../observability/index.js';
import { notePrincipal, observeRequests, requestIdOf, routeOf } from './observability.js';
import { hashParam, readBody, uintParam } from './params.js';
import { registerRecordRoutes } from './records.js';
import { registerStreamRoute } from './stream.js';
import { RateLimiter } from './ratelimit.js';
import type { RateLimits } from './ratelimit.js';
import { registerTokenRoutes } from './tokens.js';
import { registerRetentionRoute } from './retention.js';
import type { RetentionJob } from '../log/retention.js';

export interface ApiOptions {
  readonly log: Log;
  readonly auth: Authenticator;
  /** The log's verifier key (note encoding) and RFC 6962 LogID (base64), for /v1/log. */
  readonly verifierKey: string;
  readonly logId: string;
  readonly limits: RecordLimits;
  /** Largest add-entries body, in bytes. */
  readonly maxBatchBytes: number;
  /**
   * Where unexpected errors (500s) are reported, with the request they happened in; by default the
   * logger, at level error (never a record value or a token).
   */
  readonly report?: (error: Error, c: Context) => void;
  /**
   * Metrics for `GET /metrics`. Pass the instance whose `sequencer` observer the Log was opened
   * with, so that pass metrics appear; by default a fresh one without them or process metrics.
   */
  readonly metrics?: Metrics;
  /** Request log lines and internal errors; silent by default. */
  readonly logger?: Logger;
  /** True once the server has begun to shut down: /readyz turns 503 so balancers drain it. */
  readonly isStopping?: () => boolean;
  /** Configured witnesses: /checkpoint serves their newest cosigned checkpoint, /v1/log lists them. */
  readonly witnesses?: { cosigned(): string | undefined; status(): readonly WitnessStatus[] };
  /**
   * Per-role token buckets for authenticated requests (src/api/ratelimit.ts; over the limit, 429
   * `rateLimited`). None by default; `sealtrail serve` passes DEFAULT_RATE_LIMITS or the config's.
   */
  readonly rateLimits?: RateLimits;
  /** The retention job, when the log has a policy: `POST /v1/retention/run` runs it on demand. */
  readonly retention?: RetentionJob;
}

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;

export function createApp(options: ApiOptions): Hono {
  const { log, limits } = options;
  const metrics = options.metrics ?? new Metrics({ processMetrics: false });
  const limiter = options.rateLimits ? new RateLimiter(options.rateLimits, { onLimited: (role) => metrics.rateLimited(role) }) : undefined;
  // Every route authenticates through this, so every authenticated request is charged (and only those).
  const auth = limiter ? limiter.guard(options.auth) : options.auth;
  const logger = options.logger ?? silentLogger();
  const report =
    options.report ??
    ((err: Error, c: Context) => logger.error({ err, req_id: requestIdOf(c), method: c.req.method, route: routeOf(c) }, 'internal error'));
  const isStopping = options.isStopping ?? (() => false);
  const witnesses = options.witnesses;
  const app = new Hono();
  metrics.watch({
    treeSize: () => log.head.size,
    pendingEntries: () => log.pendingEntries,
    ...(witnesses ? { witnesses: () => witnesses.status() } : {}),
  });

  // First, so that every request (errors and unknown paths included) gets an id, a latency and a log line.
  app.use('*', observeRequests(metrics, logger));
  app.onError((error, c) => onError(error, c, report));
  app.notFound((c) =>
    errorResponse(c, new LogError('notFound', `no such endpoint: ${c.req.method} ${new URL(c.req.url).pathname} (see spec/openapi.yaml)`)),
  );

  // Prometheus text (spec/formats.md §17). Public like the other reads: counts, sizes and
  // latencies, no record data.
  app.get('/metrics', async (c) => {
    c.header('Cache-Control', 'no-store');
    return c.body(await metrics.text(), 200, { 'Content-Type': metrics.contentType });
  });

  // ---- RFC 6962-shaped submission ----

  app.post('/ct/v1/add-entry', async (c) => {
    const principal = notePrincipal(c, auth.authenticate(c.req.header('authorization'), ['submitter']));
    const body = await readBody(c, limits.maxRecordBytes, 'the record');
    const fields = parseRecord(body, limits);
    const header = c.req.header('idempotency-key');
    if (header !== undefined && !IDEMPOTENCY_KEY_RE.test(header)) {
      throw new LogError('malformed', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    const record = Log.prepare(fields, header ?? eventId(fields));
    const [receipt] = await log.submit(principal.name, [record]);
    return c.json(receipt);
  });

  app.post('/ct/v1/add-entries', async (c) => {
    const principal = notePrincipal(c, auth.authenticate(c.req.header('authorization'), ['submitter']));
    if (c.req.header('idempotency-key') !== undefined) {
      throw new LogError('malformed', "add-entries takes no Idempotency-Key header: each record's event_id serves as its key");
    }
    const body = await readBody(c, options.maxBatchBytes, 'the batch');
    const batch = parseRecordBatch(body, limits);
    // Authenticating charged the request 1; a batch costs one per record (ratelimit.ts).
    limiter?.take(principal, batch.length - 1, 1);
    const records: PreparedRecord[] = batch.map((fields) => Log.prepare(fields, eventId(fields)));
    return c.json({ receipts: await log.submit(principal.name, records, { batch: true }) });
  });

  // ---- RFC 6962-shaped reads: public, they reveal only salted commitments ----

  app.get('/ct/v1/get-sth', (c) => {
    const head = log.head;
    return c.json({
      tree_size: head.size,
      timestamp: head.timestamp,
      sha256_root_hash: toBase64(head.rootHash),
      tree_head_signature: toBase64(head.sthSignature),
    });
  });

  app.get('/ct/v1/get-sth-consistency', async (c) => {
    const proof = await log.consistencyProof(uintParam(c, 'first'), uintParam(c, 'second'));
    return c.json({ consistency: proof.map(toBase64) });
  });

  app.get('/ct/v1/get-proof-by-hash', async (c) => {
    const { leafIndex, auditPath } = await log.proofByHash(hashParam(c, 'hash'), uintParam(c, 'tree_size'));
    return c.json({ leaf_index: leafIndex, audit_path: auditPath.map(toBase64) });
  });

  app.get('/ct/v1/get-entries', async (c) => {
    const leafInputs = await log.entries(uintParam(c, 'start'), uintParam(c, 'end'));
    return c.json({ entries: leafInputs.map((l) => ({ leaf_input: toBase64(l), extra_data: '' })) });
  });

  app.get('/ct/v1/get-entry-and-proof', async (c) => {
    const { leafInput, auditPath } = await log.entryAndProof(uintParam(c, 'leaf_index'), uintParam(c, 'tree_size'));
    return c.json({ leaf_input: toBase64(leafInput), extra_data: '', audit_path: auditPath.map(toBase64) });
  });

  // ---- C2SP tlog-tiles ----

  app.get('/checkpoint', (c) => {
    c.header('Cache-Control', 'no-store');
    // With witnesses, the newest checkpoint they cosigned (a few seconds behind the newest signed
    // one, which get-sth and receipts carry); until the first cosignature, the newest signed one.
    const note = options.witnesses?.cosigned() ?? log.head.checkpoint;
    return c.body(note, 200, { 'Content-Type': 'text/plain; charset=utf-8' });
  });

  app.get('/tile/*', async (c) => {
    const path = new URL(c.req.url).pathname.slice(1);
    let tile;
    try {
      tile = parseTilePath(path);
    } catch (e) {
      if (e instanceof TilePathError) throw new LogError('notFound', e.message);
      throw e;
    }
    const bytes = tile.kind === 'hash' ? await log.hashTile(tile.level, tile.index, tile.width) : await log.entryBundle(tile.index, tile.width);
    if (!bytes) throw new LogError('notFound', `${path} is beyond the current tree (size ${log.head.size})`);
    c.header('Cache-Control', tile.width === TILE_WIDTH ? 'public, max-age=31536000, immutable' : 'public, max-age=60');
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/octet-stream' });
  });

  // ---- sealtrail's own ----

  app.get('/v1/log', (c) =>
    c.json({
      origin: log.origin,
      verifier_key: options.verifierKey,
      log_id: options.logId,
      tree_size: log.head.size,
      witnesses: options.witnesses?.status() ?? [],
    }),
  );
  registerRecordRoutes(app, { log, auth });
  registerStreamRoute(app, { log, auth });
  registerTokenRoutes(app, { auth, logger });
  registerRetentionRoute(app, { auth, retention: options.retention });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) =>
    isStopping()
      ? c.json({ status: 'stopping' }, 503)
      : c.json({ status: 'ready', tree_size: log.head.size, pending_entries: log.pendingEntries }),
  );
  return app;
}

/** The record's top-level string `event_id`, which serves as its idempotency key (PROTOCOL §5). */
const eventId = (fields: readonly RecordField[]): string | undefined => stringField(fields, 'event_id');
