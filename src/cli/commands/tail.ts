/**
 * @module
 * `sealtrail tail`: follows GET /v1/stream and prints one line per event, reconnecting with backoff
 * until SIGINT or SIGTERM (then exit 0).
 */
import { FilterError, parseFilter } from '../../client/filter.js';
import { CheckpointMonitor, MonitorAlert } from '../../client/monitor.js';
import { parseVerifierKey } from '../../note/index.js';
import { keyOrFile } from '../keyarg.js';
import { readEvents } from '../../client/sse.js';
import type { ServerSentEvent } from '../../client/sse.js';
import { parse, required, tokenFlag, UsageError } from '../usage.js';
import type { Command } from '../usage.js';

/** Reconnection backoff: doubles from the first to the last, and starts over after a good connection. */
const BACKOFF_MS = { first: 500, max: 30_000 };
/** The server sends a keep-alive every 15 s; this long without a byte means the connection is dead. */
const IDLE_MS = 45_000;

export const tailCommand: Command = {
  name: 'tail',
  summary: 'follow the log live: new checkpoints, and record summaries with an auditor token',
  help: `Usage: sealtrail tail --url URL [--token TOKEN] [--filter EXPR] [--vkey VKEY] [--json]

Follows the log's live stream (GET /v1/stream) and prints one line per event: each new checkpoint,
and, with an auditor or admin token, a summary of each new record within the token's tenants (its
index, time, submitter, event_id, tenant_id and field names; read the values with GET
/v1/records/INDEX). Reconnects with backoff when the connection drops; with a token, the log then
replays the records appended meanwhile (up to 500; beyond that a "gap" line says which entries to
read with GET /v1/records). Runs until SIGINT or SIGTERM, then exits 0.

With --vkey it also monitors the log: each checkpoint must verify with the log's key and extend
the last one verified (a consistency proof fetched from the log, checked here). A checkpoint that
fails is evidence that the log forged a checkpoint or showed two histories: tail prints ALERT and
why on stderr and exits 3. A proof it cannot fetch now (network) is checked with the next one.

Options:
  --url URL          the log's base URL, e.g. http://127.0.0.1:8080
  --token TOKEN      an auditor or admin token (default: $SEALTRAIL_TOKEN); without one, checkpoints only
  --filter EXPR      only records matching EXPR: field=value terms joined by AND or OR (AND binds
                     tighter), values in double quotes may hold spaces, e.g.
                     'result=block OR result=escalate'; needs a token
  --vkey VKEY        the log's verifier key, or a file holding it (e.g. DATA/log.vkey): verify every
                     checkpoint and the consistency of each with the one before
  --json             one JSON object per line: {"event": "checkpoint"|"record", ...the event's data}
  -h, --help         show this help

Exit codes: 0 stopped by a signal, 1 the log refused the stream (bad token, wrong role), 2 usage,
3 (with --vkey) a checkpoint failed verification.`,
  async run(argv) {
    const { values } = parse(argv, {
      url: { type: 'string' },
      token: { type: 'string' },
      filter: { type: 'string' },
      vkey: { type: 'string' },
      json: { type: 'boolean' },
    });
    const base = parseBase(required(values.url, '--url'));
    let monitor: CheckpointMonitor | undefined;
    if (values.vkey !== undefined) {
      let verifier;
      try {
        verifier = parseVerifierKey(await keyOrFile(values.vkey));
      } catch (e) {
        throw new UsageError(`--vkey: ${(e as Error).message}`);
      }
      monitor = new CheckpointMonitor(base.href.replace(/\/+$/, ''), verifier);
    }
    const token = tokenFlag(values.token);
    if (values.filter !== undefined) {
      if (!token) throw new UsageError('--filter applies to records, which need --token (an auditor or admin token)');
      try {
        parseFilter(values.filter);
      } catch (e) {
        if (e instanceof FilterError) throw new UsageError(`--filter: ${e.message}`);
        throw e;
      }
    }
    const url = new URL('v1/stream', base);
    if (values.filter !== undefined) url.searchParams.set('filter', values.filter);
    return follow(url, token, values.json === true, monitor);
  },
};

function parseBase(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url must be an http or https URL such as http://127.0.0.1:8080, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must be http or https, got ${url.protocol}`);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** Thrown for an answer that retrying cannot change (4xx): tail gives up with exit 1. */
class Refused extends Error {}

async function follow(url: URL, token: string | undefined, json: boolean, monitor: CheckpointMonitor | undefined): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let lastTreeSize: number | undefined;
  let lastEventId: string | undefined;
  let backoff = BACKOFF_MS.first;
  // Whether a checkpoint came on the current connection: the first one after a reconnect shows the gap.
  let sawSince = false;
  try {
    while (!stop.signal.aborted) {
      let connected = false;
      try {
        await connect(url, token, lastEventId, stop.signal, async (e) => {
          connected = true;
          if (monitor && e.event === 'checkpoint') await verifyCheckpoint(monitor, e, stop.signal);
          lastEventId = e.id ?? lastEventId;
          if (e.event === 'checkpoint') {
            const size = (JSON.parse(e.data) as { tree_size: number }).tree_size;
            // With a token the log replays what was missed (Last-Event-ID); without one there are no records to miss.
            if (token === undefined && lastTreeSize !== undefined && size > lastTreeSize && !sawSince) {
              const missed = size - lastTreeSize === 1 ? `entry ${lastTreeSize} was` : `entries ${lastTreeSize} to ${size - 1} were`;
              console.error(`sealtrail tail: reconnected; ${missed} appended while disconnected (not shown; read them with GET /v1/records/INDEX)`);
            }
            sawSince = true;
            lastTreeSize = size;
          }
          if (e.event === 'gap') {
            const d = JSON.parse(e.data) as { from: number; to: number };
            console.error(
              `sealtrail tail: entries ${d.from} to ${d.to - 1} were appended while disconnected and are too many to replay; ` +
                `read them with GET /v1/records?start=${d.from}&end=${d.to - 1}&tree_size=N (or sealtrail export)`,
            );
          }
          console.log(json ? jsonLine(e) : humanLine(e));
        });
        if (stop.signal.aborted) break;
        console.error('sealtrail tail: the log ended the stream; reconnecting');
      } catch (e) {
        if (stop.signal.aborted) break;
        if (e instanceof Refused) {
          console.error(`sealtrail tail: ${e.message}`);
          return 1;
        }
        if (e instanceof MonitorAlert) {
          console.error(`sealtrail tail: ALERT: ${e.message}`);
          return 3;
        }
        console.error(`sealtrail tail: ${describeFailure(e as Error)}; reconnecting in ${(backoff / 1000).toFixed(1)} s`);
      }
      sawSince = false;
      if (connected) backoff = BACKOFF_MS.first;
      await sleep(backoff, stop.signal);
      backoff = Math.min(backoff * 2, BACKOFF_MS.max);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Checks a checkpoint event with the monitor before it is printed; throws MonitorAlert on evidence.
 * A malformed event is evidence too: the log signs what it streams.
 */
async function verifyCheckpoint(monitor: CheckpointMonitor, e: ServerSentEvent, signal: AbortSignal): Promise<void> {
  let data: { tree_size?: unknown; root_hash?: unknown; checkpoint?: unknown };
  try {
    data = JSON.parse(e.data) as typeof data;
  } catch {
    throw new MonitorAlert(`a checkpoint event that is not JSON: ${e.data.slice(0, 200)}`);
  }
  if (typeof data.tree_size !== 'number' || typeof data.root_hash !== 'string' || typeof data.checkpoint !== 'string') {
    throw new MonitorAlert('a checkpoint event without tree_size, root_hash and checkpoint');
  }
  const outcome = await monitor.check(data.checkpoint, { treeSize: data.tree_size, rootHash: data.root_hash }, signal);
  if (outcome.kind === 'unchecked') {
    console.error(`sealtrail tail: could not check the consistency of tree size ${data.tree_size} now (${outcome.why}); the next checkpoint is checked from tree size ${monitor.verified?.size ?? 0}`);
  }
}

/** One connection: resolves when the server ends the stream, rejects on an error. */
async function connect(
  url: URL,
  token: string | undefined,
  lastEventId: string | undefined,
  stop: AbortSignal,
  onEvent: (e: ServerSentEvent) => void | Promise<void>,
): Promise<void> {
  const connection = new AbortController();
  const abort = (): void => connection.abort();
  stop.addEventListener('abort', abort, { once: true });
  let idle: ReturnType<typeof setTimeout> | undefined;
  const alive = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => connection.abort(new Error(`no data for ${IDLE_MS / 1000} s`)), IDLE_MS);
  };
  try {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (token) headers['authorization'] = `Bearer ${token}`;
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    alive();
    const res = await fetch(url, { headers, signal: connection.signal });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { error_message: string }).error_message;
      } catch {
        // not the log's JSON error: show the text as it is
      }
      const why = `${url.origin}${url.pathname} answered ${res.status}: ${message}`;
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new Refused(why);
      throw new Error(why);
    }
    if (!res.body) throw new Error('the answer has no body');
    const body = res.body as unknown as AsyncIterable<Uint8Array>;
    for await (const e of readEvents(tap(body, alive))) await onEvent(e);
  } catch (e) {
    if (connection.signal.aborted && connection.signal.reason instanceof Error) throw connection.signal.reason;
    throw e;
  } finally {
    clearTimeout(idle);
    stop.removeEventListener('abort', abort);
  }
}

async function* tap(body: AsyncIterable<Uint8Array>, seen: () => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    seen();
    yield chunk;
  }
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ...) is in its cause. */
function describeFailure(e: Error): string {
  const cause = e.cause as { code?: string; message?: string } | undefined;
  return cause ? `${e.message} (${cause.code ?? cause.message ?? String(cause)})` : e.message;
}

function jsonLine(e: ServerSentEvent): string {
  let data: unknown;
  try {
    data = JSON.parse(e.data);
  } catch {
    data = { data: e.data };
  }
  return JSON.stringify({ event: e.event, ...(data as object) });
}

function humanLine(e: ServerSentEvent): string {
  try {
    if (e.event === 'checkpoint') {
      const d = JSON.parse(e.data) as { tree_size: number; root_hash: string; timestamp?: number };
      const at = d.timestamp === undefined ? '' : ` ${new Date(d.timestamp).toISOString()}`;
      return `checkpoint${at} tree_size=${d.tree_size} root_hash=${d.root_hash}`;
    }
    if (e.event === 'gap') {
      const d = JSON.parse(e.data) as { from: number; to: number };
      return `gap entries ${d.from} to ${d.to - 1} not replayed`;
    }
    if (e.event === 'record') {
      const d = JSON.parse(e.data) as { leaf_index: number; timestamp: number; submitter: string; event_id?: string; tenant_id?: string; fields: string[] };
      const parts = [`record ${new Date(d.timestamp).toISOString()} leaf_index=${d.leaf_index}`, `submitter=${d.submitter}`];
      if (d.tenant_id !== undefined) parts.push(`tenant_id=${JSON.stringify(d.tenant_id)}`);
      if (d.event_id !== undefined) parts.push(`event_id=${JSON.stringify(d.event_id)}`);
      parts.push(`fields=${d.fields.map(printable).join(',')}`);
      return parts.join(' ');
    }
  } catch {
    // fall through: print what came
  }
  return `${e.event} ${e.data}`;
}

/** Field names are any text: quote those that would garble a terminal line or the comma list. */
const printable = (name: string): string => (/^[\x21-\x7e]+$/.test(name) && !name.includes(',') && !name.includes('"') ? name : JSON.stringify(name));

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
