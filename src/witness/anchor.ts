/**
 * @module
 * Anchoring (issue 3 item 5): after a cosignature, when the log has grown by `everyEntries` since its
 * last anchor, or `everySeconds` have passed and it has grown at all, the witness publishes the
 * anchor record (PROTOCOL §7) to every configured sink. The first cosignature of a log is anchored
 * at once.
 *
 * States, in order: *anchored* (the record and one pending delivery per sink are durable in the
 * anchor store), then, per sink independently, *delivered* (the sink has it: a log's receipt
 * verified, a file's line fsynced, a webhook's 2xx). A failed delivery stays pending and is retried
 * with exponential backoff (1 s doubling to 5 min, jittered); a restart resumes it. One sink's
 * failures never hold up another's deliveries.
 *
 * `anchored_at` is milliseconds since the Unix epoch (an integer), like a receipt's `timestamp`.
 * State lives in its own LevelDB at `<dir>/anchors` (see anchor-store.ts), never in the witness's.
 */
import { join } from 'node:path';
import { abytes, auint, toBase64 } from '../util/bytes.js';
import { backoffDelay, resolveOptions, type AnchorerOptions, type ResolvedOptions } from './anchor-options.js';
import { FORK_ALERT_TYPE, sinkIdentity, type AnchorSinkConfig, type SinkIdentity } from './anchor-record.js';
import { deliverAnchor, sendForkAlert, type AnchorDelivered, type HttpContext } from './anchor-sinks.js';
import { AnchorStore, makeAnchor, type OriginState, type StoredAnchor, type StoredDelivery } from './anchor-store.js';
import { toListing, type AnchorListing } from './anchor-print.js';

export type { AnchorSinkConfig } from './anchor-record.js';
export { ANCHOR_RECORD_TYPE, FORK_ALERT_TYPE } from './anchor-record.js';
export { printAnchors, type AnchorListing, type DeliveryListing } from './anchor-print.js';
export type { AnchorerOptions } from './anchor-options.js';

export interface CosignedCheckpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** The checkpoint note carrying the witness's cosignature. */
  readonly cosignedNote: string;
}

export interface AnchorTrigger {
  /** Called after every successful cosignature. Never throws, never blocks: decides and schedules. */
  noteCosigned(c: CosignedCheckpoint): void;
  /** Sends proof of a fork to every webhook sink as `{type: 'sealtrail.fork-alert/v1', evidence}`. Never throws. */
  notifyFork(evidence: unknown): Promise<void>;
  /** Stops timers, waits (bounded) for deliveries under way, closes the store. */
  close(): Promise<void>;
}

interface Sink {
  readonly config: AnchorSinkConfig;
  readonly identity: SinkIdentity;
  /** Deliveries to one sink run one at a time, in the order they were asked for. */
  lock: Promise<void>;
}

interface Delivery {
  stored: StoredDelivery;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
  warnedUnconfigured?: boolean;
}

interface Origin {
  state: OriginState;
  timer?: NodeJS.Timeout;
  writeQueued?: boolean;
}

/** Attempts per webhook within one notifyFork. */
const FORK_ALERT_ATTEMPTS = 4;
const MAX_TIMER_MS = 2 ** 31 - 1;

const deliveryKey = (seq: number, sinkId: string): string => `${seq}/${sinkId}`;

export class Anchorer implements AnchorTrigger {
  private readonly sinks = new Map<string, Sink>();
  private readonly origins = new Map<string, Origin>();
  /** Anchors with a pending delivery; delivered ones live only in the store. */
  private readonly anchors = new Map<number, StoredAnchor>();
  /** Pending deliveries, by `seq/sinkId`. */
  private readonly deliveries = new Map<string, Delivery>();
  private readonly forkAlerts = new Set<Promise<void>>();
  private readonly closing = new AbortController();
  /** Store writes, one after another: LevelDB does not order concurrent batches. */
  private writes: Promise<void> = Promise.resolve();
  private nextSeq = 1;
  private closed = false;
  private readonly now: () => number;
  private readonly emit: (line: Record<string, unknown>) => void;
  private readonly http: HttpContext;

  private constructor(
    private readonly store: AnchorStore,
    private readonly options: AnchorerOptions,
    private readonly resolved: ResolvedOptions,
  ) {
    this.now = resolved.now;
    this.emit = resolved.log;
    this.http = { fetch: resolved.fetch, timeoutMs: resolved.attemptTimeoutMs, signal: this.closing.signal };
  }

  /**
   * Opens (creating if needed) the anchor store at `<dir>/anchors` and resumes pending deliveries.
   * Throws TypeError/RangeError for bad options, and if another process holds the store.
   */
  static async open(options: AnchorerOptions): Promise<Anchorer> {
    const resolved = resolveOptions(options);
    const store = await AnchorStore.open(join(options.dir, 'anchors'));
    const anchorer = new Anchorer(store, options, resolved);
    try {
      await anchorer.load();
    } catch (error) {
      await store.close();
      throw error;
    }
    return anchorer;
  }

  private async load(): Promise<void> {
    this.options.sinks.forEach((config, i) => {
      const identity = sinkIdentity(config);
      if (this.sinks.has(identity.id)) throw new RangeError(`sinks[${i}] repeats an earlier sink (${identity.label})`);
      this.sinks.set(identity.id, { config, identity, lock: Promise.resolve() });
    });
    const state = await this.store.loadActive();
    for (const [origin, s] of state.origins) this.origins.set(origin, { state: s });
    for (const a of state.anchors) this.anchors.set(a.seq, a);
    for (const d of state.pending) this.deliveries.set(deliveryKey(d.seq, d.sink.id), { stored: d });
    this.nextSeq = state.lastSeq + 1;
    // Resume: pending deliveries are tried again at once; an origin whose cosigned checkpoint was
    // waiting for the time threshold gets its timer back.
    for (const key of this.deliveries.keys()) void this.attempt(key);
    for (const origin of this.origins.keys()) this.evaluate(origin);
  }

  noteCosigned(c: CosignedCheckpoint): void {
    try {
      if (this.closed || this.sinks.size === 0) return;
      if (typeof c?.origin !== 'string' || c.origin === '') throw new TypeError('origin must be a non-empty string');
      auint(c.size, 'size');
      const rootHash = toBase64(abytes(c.rootHash, 32, 'rootHash'));
      if (typeof c.cosignedNote !== 'string' || !c.cosignedNote.startsWith(`${c.origin}\n${c.size}\n${rootHash}\n`)) {
        throw new RangeError('cosignedNote is not a checkpoint of this origin, size and root hash');
      }
      const origin = this.origin(c.origin);
      const previous = origin.state.cosigned;
      // Not larger than what was already noted: nothing new to anchor (the timer covers the time threshold).
      if (previous && previous.size >= c.size) return;
      origin.state = { ...origin.state, cosigned: { size: c.size, rootHash, note: c.cosignedNote } };
      if (!this.evaluate(c.origin)) this.persistOrigin(c.origin);
    } catch (error) {
      this.emit({ level: 'error', msg: 'anchor: ignored a cosigned checkpoint', origin: c?.origin, error: (error as Error).message });
    }
  }

  /** Anchors the origin's latest cosigned checkpoint if a threshold is reached, else arms the timer. Returns true if it anchored. */
  private evaluate(originName: string): boolean {
    const origin = this.origin(originName);
    clearTimeout(origin.timer);
    origin.timer = undefined;
    const { cosigned, anchored } = origin.state;
    if (this.closed || !cosigned || this.sinks.size === 0) return false;
    if (anchored && cosigned.size <= anchored.size) return false; // the tree did not grow
    const now = this.now();
    const dueAt = anchored ? anchored.at + this.options.everySeconds * 1000 : now;
    if (!anchored || cosigned.size - anchored.size >= this.options.everyEntries || now >= dueAt) {
      this.anchor(originName, origin, now);
      return true;
    }
    origin.timer = setTimeout(() => this.evaluate(originName), Math.min(dueAt - now, MAX_TIMER_MS));
    origin.timer.unref();
    return false;
  }

  private anchor(originName: string, origin: Origin, now: number): void {
    const cosigned = origin.state.cosigned!;
    const seq = this.nextSeq++;
    const anchor = makeAnchor(seq, originName, cosigned, this.options.witnessVerifierKey, now);
    const previous = origin.state;
    origin.state = { ...origin.state, anchored: { size: cosigned.size, rootHash: cosigned.rootHash, at: now, seq } };
    const deliveries: StoredDelivery[] = [...this.sinks.values()].map((s) => ({ seq, sink: s.identity, state: 'pending', attempts: 0 }));
    this.anchors.set(seq, anchor);
    for (const d of deliveries) this.deliveries.set(deliveryKey(seq, d.sink.id), { stored: d });
    // Commit point: the anchor, its pending deliveries and the origin's state in one synced batch.
    // A crash before it leaves no trace, and the next cosignature anchors again; after it, a
    // restart resumes the deliveries and does not anchor this checkpoint again.
    this.enqueueWrite(() => this.store.write({ origins: [[originName, origin.state]], anchors: [anchor], deliveries })).then(
      () => {
        this.emit({ level: 'info', msg: 'anchor: anchored', origin: originName, tree_size: anchor.treeSize, sinks: deliveries.length });
        for (const d of deliveries) void this.attempt(deliveryKey(seq, d.sink.id));
      },
      (error: unknown) => {
        this.emit({ level: 'error', msg: 'anchor: could not store the anchor; the next cosignature will try again', origin: originName, tree_size: anchor.treeSize, error: (error as Error).message });
        this.anchors.delete(seq);
        for (const d of deliveries) this.deliveries.delete(deliveryKey(seq, d.sink.id));
        if (origin.state.anchored?.seq === seq) origin.state = { ...origin.state, anchored: previous.anchored };
      },
    );
  }

  /** Runs one attempt of a pending delivery unless one is under way; never rejects. */
  private attempt(key: string): Promise<void> {
    const delivery = this.deliveries.get(key);
    if (!delivery || delivery.stored.state === 'delivered' || this.closed) return Promise.resolve();
    if (delivery.running) return delivery.running;
    clearTimeout(delivery.timer);
    delivery.timer = undefined;
    const sink = this.sinks.get(delivery.stored.sink.id);
    if (!sink) {
      // Configured when the anchor was made, not now: kept pending, resumed if the sink comes back.
      if (!delivery.warnedUnconfigured) {
        delivery.warnedUnconfigured = true;
        this.emit({ level: 'warn', msg: 'anchor: a pending delivery waits for a sink that is no longer configured', sink: delivery.stored.sink.label, seq: delivery.stored.seq });
      }
      return Promise.resolve();
    }
    const run = sink.lock
      .then(() => this.deliverOnce(delivery, sink))
      .catch((error: unknown) => {
        this.emit({ level: 'error', msg: 'anchor: delivery attempt failed unexpectedly', sink: sink.identity.label, error: (error as Error).message });
      });
    sink.lock = run;
    delivery.running = run.finally(() => {
      delivery.running = undefined;
    });
    return delivery.running;
  }

  private async deliverOnce(delivery: Delivery, sink: Sink): Promise<void> {
    const anchor = this.anchors.get(delivery.stored.seq);
    // Queued behind an attempt that close() abandoned: leave it pending for the next start.
    if (!anchor || delivery.stored.state === 'delivered' || this.closing.signal.aborted) return;
    const attemptAt = this.now();
    const attempts = delivery.stored.attempts + 1;
    const inDoubt = sink.config.type === 'file' ? this.pendingFor(sink.identity.id).filter((d) => d !== delivery) : [];
    const inDoubtRecords = inDoubt.map((d) => this.anchors.get(d.stored.seq)?.record ?? '');
    let result: AnchorDelivered;
    try {
      result = await deliverAnchor(sink.config, anchor, inDoubtRecords, this.http);
    } catch (error) {
      const message = (error as Error).message;
      delivery.stored = { ...delivery.stored, attempts, lastAttemptAt: attemptAt, lastError: message };
      await this.enqueueWrite(() => this.store.write({ deliveries: [delivery.stored] })).catch(() => {});
      if (this.closed) return;
      const retryInMs = backoffDelay(attempts, this.resolved.initialMs, this.resolved.maxMs);
      this.emit({ level: 'warn', msg: 'anchor: delivery failed; will retry', origin: anchor.origin, tree_size: anchor.treeSize, sink: sink.identity.label, attempts, retry_in_ms: retryInMs, error: message });
      delivery.timer = setTimeout(() => void this.attempt(deliveryKey(anchor.seq, sink.identity.id)), retryInMs);
      delivery.timer.unref();
      return;
    }
    const { seq, sink: identity } = delivery.stored;
    delivery.stored = { seq, sink: identity, state: 'delivered', attempts, lastAttemptAt: attemptAt, deliveredAt: this.now(), ...(result.receipt === undefined ? {} : { receipt: result.receipt }) };
    const written = [delivery.stored];
    const other = result.found === undefined ? undefined : inDoubt[inDoubtRecords.indexOf(result.found)];
    if (other) {
      // Its line was appended before a crash (or a failed fsync) kept "delivered" from being recorded.
      const { seq: otherSeq, sink: otherSink, attempts: otherAttempts } = other.stored;
      other.stored = { seq: otherSeq, sink: otherSink, state: 'delivered', attempts: otherAttempts, deliveredAt: attemptAt };
      written.push(other.stored);
      this.emit({ level: 'info', msg: 'anchor: an earlier record was already at the end of the file', sink: identity.label, seq: otherSeq });
    }
    // Recorded before the sink's lock is released: no second append to a file until this one is durable.
    await this.enqueueWrite(() => this.store.write({ deliveries: written })).catch((error: unknown) => {
      this.emit({ level: 'error', msg: 'anchor: delivered but could not record it', sink: identity.label, error: (error as Error).message });
    });
    for (const d of written) this.forget(d);
    this.emit({ level: 'info', msg: 'anchor: delivered', origin: anchor.origin, tree_size: anchor.treeSize, sink: identity.label, attempts });
  }

  private pendingFor(sinkId: string): Delivery[] {
    return [...this.deliveries.values()].filter((d) => d.stored.sink.id === sinkId && d.stored.state === 'pending');
  }

  /** Drops a delivered delivery from memory, and its anchor once no delivery of it is pending. */
  private forget(delivered: StoredDelivery): void {
    this.deliveries.delete(deliveryKey(delivered.seq, delivered.sink.id));
    if (![...this.deliveries.values()].some((d) => d.stored.seq === delivered.seq)) this.anchors.delete(delivered.seq);
  }

  async notifyFork(evidence: unknown): Promise<void> {
    if (this.closed) return;
    let body: string;
    try {
      body = JSON.stringify({ type: FORK_ALERT_TYPE, evidence });
    } catch (error) {
      this.emit({ level: 'error', msg: 'anchor: the fork evidence cannot be sent as JSON', error: (error as Error).message });
      return;
    }
    const alerts = [...this.sinks.values()].filter((s) => s.config.type === 'webhook').map((s) => this.sendForkAlert(s, body));
    await Promise.all(alerts);
  }

  private sendForkAlert(sink: Sink, body: string): Promise<void> {
    const url = (sink.config as { readonly url: string }).url;
    const delay = (attempt: number): number => backoffDelay(attempt, this.resolved.initialMs, this.resolved.maxMs);
    const send = sendForkAlert(url, body, this.http, FORK_ALERT_ATTEMPTS, delay, (attempts, error) =>
      this.emit(
        error === undefined
          ? { level: 'error', msg: 'anchor: fork alert delivered', sink: sink.identity.label, attempts }
          : { level: 'error', msg: 'anchor: fork alert not delivered', sink: sink.identity.label, attempts, error },
      ),
    );
    this.forkAlerts.add(send);
    return send.finally(() => this.forkAlerts.delete(send));
  }

  async flush(): Promise<void> {
    if (this.closed) return;
    await this.writes;
    for (const origin of [...this.origins.keys()]) this.evaluate(origin);
    await this.writes;
    await Promise.all([...this.deliveries.keys()].map((key) => this.attempt(key)));
    await this.writes;
  }

  /** Every anchor, oldest first, read from the store. Not after close(): use printAnchors then. */
  async list(): Promise<AnchorListing[]> {
    if (this.closed) throw new Error('the anchorer is closed; read its anchors with printAnchors');
    await this.writes;
    const history = await this.store.loadHistory();
    return toListing(history.anchors, history.deliveries);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const o of this.origins.values()) clearTimeout(o.timer);
    for (const d of this.deliveries.values()) clearTimeout(d.timer);
    const running = [...[...this.deliveries.values()].map((d) => d.running), ...this.forkAlerts].filter((p) => p !== undefined);
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(running), new Promise((resolve) => (bound = setTimeout(resolve, this.resolved.closeTimeoutMs)))]);
    clearTimeout(bound);
    // Whatever is still under way is abandoned; it stays pending and resumes at the next start.
    this.closing.abort();
    await Promise.allSettled(running);
    await this.writes;
    await this.store.close();
  }

  private origin(name: string): Origin {
    let origin = this.origins.get(name);
    if (!origin) this.origins.set(name, (origin = { state: {} }));
    return origin;
  }

  /** Stores the origin's latest cosigned checkpoint, coalescing writes that pile up. */
  private persistOrigin(name: string): void {
    const origin = this.origin(name);
    if (origin.writeQueued) return;
    origin.writeQueued = true;
    this.enqueueWrite(() => {
      origin.writeQueued = false;
      return this.store.write({ origins: [[name, origin.state]] });
    }).catch((error: unknown) => {
      this.emit({ level: 'warn', msg: 'anchor: could not store the latest cosigned checkpoint', origin: name, error: (error as Error).message });
    });
  }

  private enqueueWrite(write: () => Promise<void>): Promise<void> {
    const run = this.writes.then(write);
    this.writes = run.catch(() => {});
    return run;
  }
}
