/**
 * @module
 * The live tail (issue 4 item 7; spec/openapi.yaml `/v1/stream`, spec/formats.md §18): published
 * passes as Server-Sent Events (WHATWG HTML §9.2).
 *
 * - Anyone (no token) gets a `checkpoint` event per published pass, and one for the current tree head
 *   when the stream opens.
 * - An auditor or admin token also gets a `record` event per appended record within its tenant scope,
 *   optionally narrowed by `?filter=EXPR` (src/client/filter.ts). A record event is a summary: the
 *   field names, never the values; the values, with their proof, are one GET /v1/records/<index> away.
 *
 * A slow client must never slow the sequencer: the log hands passes over without waiting
 * (src/log/published.ts), each stream buffers at most MAX_QUEUED_EVENTS events that the socket has
 * not taken yet, and a stream that would buffer more is dropped (the connection is cut).
 */
import type { Hono } from 'hono';
import { mayRead, tenantOf } from '../auth/scope.js';
import type { Authenticator } from '../auth/tokens.js';
import { FilterError, parseFilter } from '../client/filter.js';
import type { Filter } from '../client/filter.js';
import type { Log } from '../log/log.js';
import type { AppendedEntry } from '../log/published.js';
import { decodeLeaf } from '../record/index.js';
import { isErased } from '../storage/types.js';
import type { Principal, Role, TreeHead } from '../storage/types.js';
import { toBase64, utf8 } from '../util/bytes.js';
import { LogError } from '../util/errors.js';
import { notePrincipal } from './observability.js';
import { parseUint, stringParam } from './params.js';

/** Roles that get record events. */
const READERS: readonly Role[] = ['auditor', 'admin'];
/** Events a stream may hold that its client has not read yet; one more and the stream is dropped. */
export const MAX_QUEUED_EVENTS = 1000;
/** A comment line this often keeps proxies and clients from timing an idle stream out. */
export const KEEP_ALIVE_MS = 15_000;
/** Entries read back per store read while replaying. */
const REPLAY_CHUNK = 256;

export interface StreamOptions {
  readonly log: Log;
  readonly auth: Authenticator;
  /** For tests: the keep-alive interval. */
  readonly keepAliveMs?: number;
  /** For tests: the queue bound. */
  readonly maxQueuedEvents?: number;
  /** At most this many entries are replayed after `Last-Event-ID` (default: half the queue bound). */
  readonly maxReplayEntries?: number;
}

/** The `data` of a `record` event. */
export interface RecordSummary {
  readonly leaf_index: number;
  readonly timestamp: number;
  readonly submitter: string;
  readonly event_id?: string;
  readonly tenant_id?: string;
  /** The record's top-level field names, in stored order; erased fields included. */
  readonly fields: readonly string[];
}

export function registerStreamRoute(app: Hono, options: StreamOptions): void {
  const { log, auth } = options;
  const keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
  const maxQueued = options.maxQueuedEvents ?? MAX_QUEUED_EVENTS;
  // Replayed events and the live ones held back meanwhile must fit the queue with room to spare.
  const maxReplay = options.maxReplayEntries ?? Math.floor(maxQueued / 2);

  app.get('/v1/stream', (c) => {
    const header = c.req.header('authorization');
    // No token: checkpoints only. A token must be valid (401) and a reader's (403), before the stream starts.
    const principal = header === undefined ? undefined : notePrincipal(c, auth.authenticate(header, READERS));
    const expr = c.req.query('filter');
    let filter: Filter | undefined;
    if (expr !== undefined) {
      if (!principal) throw new LogError('unauthorized', 'filter applies to record events, which need an auditor or admin token; send "Authorization: Bearer <token>" or leave filter out');
      try {
        // Given once, like every parameter (spec/formats.md §1): a second filter was silently ignored.
        filter = parseFilter(stringParam(c, 'filter'));
      } catch (e) {
        if (e instanceof FilterError) throw new LogError('malformed', `filter: ${e.message}`);
        throw e;
      }
    }

    const start = log.head;
    // Where a reconnecting reader left off (ids are positions: see idOf); readers only, since a
    // stream without a token has nothing to replay: its first checkpoint covers everything.
    const resumeAt = principal ? resumePosition(c.req.header('last-event-id'), start.size) : undefined;
    // Live frames held back while the replay reads the store, so that order is kept.
    let held: string[] | undefined = resumeAt !== undefined ? [] : undefined;
    // Assigned synchronously by the stream's start(), before any pass can be delivered (deliveries are asynchronous).
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let keepAlive: ReturnType<typeof setInterval> | undefined;
    let ended = false;
    const end = (error?: Error): void => {
      if (ended) return;
      ended = true;
      unsubscribe();
      clearInterval(keepAlive);
      // An error cuts the connection at once (the client sees a network error and reconnects); a
      // close lets the client read what is queued, then ends the response.
      if (error) controller.error(error);
      else controller.close();
    };
    const send = (frame: string): void => {
      if (ended) return;
      if (held) {
        held.push(frame);
        if (held.length > maxQueued) end(new Error('the client reads too slowly; stream dropped'));
        return;
      }
      // desiredSize counts the events the socket has not taken yet (CountQueuingStrategy below).
      if ((controller.desiredSize ?? 0) <= 0) return end(new Error('the client reads too slowly; stream dropped'));
      controller.enqueue(utf8(frame));
    };
    // Throws `shutdown` (503) once the log has drained: no stream starts then.
    const unsubscribe = log.onPublished({
      wantsEntries: principal !== undefined,
      published: (pass) => {
        // A pass published before the stream opened is covered by the first checkpoint.
        if (pass.head.size <= start.size) return;
        if (principal) {
          // Without the entries this stream would silently miss records: end it instead.
          if (pass.entries === undefined) return end(new Error('the entries of a pass could not be read'));
          for (const frame of recordFrames(pass.entries, principal, filter)) send(frame);
        }
        send(checkpointFrame(pass.head));
      },
      closed: () => end(),
    });

    /** Sends the records of [resumeAt, start.size) (at most maxReplay, after a `gap`), then what was held. */
    const replay = async (from: number): Promise<void> => {
      const first = Math.max(from, start.size - maxReplay);
      const frames: string[] = [];
      if (first > from) frames.push(gapFrame(from, first));
      for (let at = first; at < start.size && !ended; at += REPLAY_CHUNK) {
        const leafInputs = await log.entries(at, Math.min(start.size, at + REPLAY_CHUNK) - 1);
        const entries = await Promise.all(
          leafInputs.map(async (leafInput, i) => ({ index: at + i, leafInput, fields: await log.storedRecord(at + i, start.size) })),
        );
        frames.push(...recordFrames(entries, principal!, filter));
      }
      frames.push(checkpointFrame(start));
      const live = held ?? [];
      held = undefined;
      for (const frame of [...frames, ...live]) send(frame);
    };

    const body = new ReadableStream<Uint8Array>(
      {
        start(c) {
          controller = c;
          if (resumeAt === undefined) {
            send(`retry: 2000\n\n${checkpointFrame(start)}`);
          } else {
            controller.enqueue(utf8('retry: 2000\n\n'));
            replay(resumeAt).catch((e: unknown) => end(new Error(`the replay could not read the store: ${(e as Error).message}`)));
          }
          keepAlive = setInterval(() => send(': keep-alive\n\n'), keepAliveMs);
          keepAlive.unref();
        },
        cancel() {
          // The client went away (node-server cancels the body when the socket closes).
          ended = true;
          unsubscribe();
          clearInterval(keepAlive);
        },
      },
      new CountQueuingStrategy({ highWaterMark: maxQueued }),
    );
    return c.body(body, 200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // Proxies such as nginx would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
  });
}

/**
 * Event ids are positions in the log: the number of entries below the point the event stands for.
 * A checkpoint's is its tree size; a record's, its leaf index + 1. So the `Last-Event-ID` a client
 * sends back says where it left off, whichever kind of event it saw last.
 */
function checkpointFrame(head: TreeHead): string {
  const data = { tree_size: head.size, timestamp: head.timestamp, root_hash: toBase64(head.rootHash), checkpoint: head.checkpoint };
  return `id: ${head.size}\nevent: checkpoint\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Entries [from, to) are not replayed (too many): the client reads them with GET /v1/records. */
function gapFrame(from: number, to: number): string {
  return `id: ${to}\nevent: gap\ndata: ${JSON.stringify({ from, to })}\n\n`;
}

/** The `Last-Event-ID` of a reconnecting client as a position to resume at, or undefined (none, or nothing missed). */
function resumePosition(header: string | undefined, size: number): number | undefined {
  if (header === undefined || header === '') return undefined;
  let position: number;
  try {
    position = parseUint(header, 'Last-Event-ID');
  } catch {
    throw new LogError('malformed', `Last-Event-ID must be an id this stream sent (a decimal position in the log), got ${JSON.stringify(header.slice(0, 40))}`);
  }
  // Ahead of this log (another replica, say): nothing to replay; the first checkpoint says where it is.
  return position < size ? position : undefined;
}

/** The entries' records that `principal` may read and `filter` accepts, as `record` events. */
function* recordFrames(entries: readonly AppendedEntry[], principal: Principal, filter: Filter | undefined): Generator<string> {
  for (const entry of entries) {
    const summary = summarise(entry, principal, filter);
    if (summary) yield `id: ${summary.leaf_index + 1}\nevent: record\ndata: ${JSON.stringify(summary)}\n\n`;
  }
}

function summarise(entry: AppendedEntry, principal: Principal, filter: Filter | undefined): RecordSummary | undefined {
  const fields = entry.fields;
  if (!fields) return undefined;
  const leaf = decodeLeaf(entry.leafInput);
  // Erasure entries are the log's own, not records; a scope hides other tenants' records entirely.
  if (leaf.kind !== 'record' || !mayRead(principal, tenantOf(fields))) return undefined;
  // Canonical (RFC 8785) text is JSON: JSON.parse reads the value back exactly.
  const values = Object.fromEntries(fields.flatMap((f) => (isErased(f) ? [] : [[f.name, JSON.parse(f.jcs) as unknown]])));
  if (filter && !filter(values)) return undefined;
  const eventId = values['event_id'];
  const tenantId = tenantOf(fields);
  return {
    leaf_index: entry.index,
    timestamp: leaf.time,
    submitter: leaf.submitter,
    ...(typeof eventId === 'string' && Object.hasOwn(values, 'event_id') ? { event_id: eventId } : {}),
    ...(tenantId !== undefined ? { tenant_id: tenantId } : {}),
    fields: fields.map((f) => f.name),
  };
}
