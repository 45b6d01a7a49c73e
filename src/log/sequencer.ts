/**
 * @module
 * The single writer. Add-entry requests wait in a bounded pool; a sequencing pass takes what is
 * pooled, assigns indices, integrates the new leaves into the tree, writes everything in one synced
 * batch, signs, and only then publishes the new tree head and answers the waiting requests.
 *
 * States of an entry: *sequenced* (it has an index), *integrated* (its hash is in the tree) and
 * *published* (a signed checkpoint covers it). A pass does all three before anyone hears of it, so a
 * receipt is only ever handed out for a published, durable entry.
 */
import { hashLeaf } from '../merkle/index.js';
import { signCheckpoint, signTreeHead } from '../note/index.js';
import type { NoteSigner } from '../note/index.js';
import { encodeLeaf, fieldCommitment } from '../record/index.js';
import type { LeafKind } from '../record/index.js';
import { LogError } from '../util/errors.js';
import { equalBytes } from '../util/bytes.js';
import type { ErasedField, LogStore, StoredField, StoredRecordField, TreeHead } from '../storage/types.js';
import { isErased } from '../storage/types.js';
import { prepareErasureRecord, prepareShredRecord } from './prepare.js';
import { RightEdge } from './edge.js';
import type { TileWrite } from './edge.js';

/** A record ready to be sequenced: parsed, salted and committed at request time. */
export interface PreparedRecord {
  readonly fields: readonly StoredField[];
  /** PROTOCOL §2 record digest, the leaf's `record`. */
  readonly digest: Uint8Array;
  /** SHA-256 of the record's RFC 8785 text: what "the same record" means for idempotency. */
  readonly requestDigest: Uint8Array;
  readonly idempotencyKey: string | undefined;
  /** The leaf's kind; 'record' unless this is the log's own erasure record. */
  readonly kind?: LeafKind;
}

/** PROTOCOL §6: erase `fields` of entry `targetIndex`. Validated by the caller against the published tree. */
export interface ErasureRequest {
  readonly targetIndex: number;
  readonly fields: readonly string[];
  readonly reason: string;
  readonly requestedBy: string;
}

/**
 * spec/formats.md §20.3: destroy `tenant`'s data key (crypto-shredding), recorded by an erasure
 * entry `{"tenant_id", "reason": "crypto-shred", "requested_by"}` in the same batch.
 */
export interface ShredRequest {
  readonly tenant: string;
  readonly requestedBy: string;
}

/** What an erasure did: the fields it erased now, and those an earlier erasure entry had already erased. */
export interface ErasureOutcome {
  readonly erased: readonly string[];
  readonly alreadyErased: readonly { readonly name: string; readonly erasureIndex: number }[];
}

export interface SequencedEntry {
  readonly index: number;
  /**
   * Present for entries this pass appended; absent for an idempotent repeat of an earlier entry.
   * `time` is the leaf's, `leafHash` its RFC 6962 hash: the receipt needs both, and the pass has them.
   */
  readonly appended?: { readonly leafInput: Uint8Array; readonly leafHash: Uint8Array; readonly time: number; readonly fields: readonly StoredField[] };
  /** For an erasure: its outcome. When nothing was left to erase, no entry was appended and `index` is that of the earlier erasure. */
  readonly erasure?: ErasureOutcome;
}

export interface SequencerOptions {
  /**
   * A pass starts as soon as this many entries are pooled, and takes at most this many (but always
   * at least one whole submission, so a batch larger than this still gets its own pass).
   */
  readonly maxBatchEntries: number;
  /** …or when the oldest pooled entry has waited this long (milliseconds). */
  readonly maxDelayMs: number;
  /**
   * Pool capacity in entries; beyond it submissions are refused with 503 (pushback). An empty pool
   * takes any one submission, so no batch is refused forever.
   */
  readonly maxPendingEntries: number;
}

/**
 * Chosen with `npm run bench:tune` (table in the README): under 64 clients the server is CPU-bound,
 * passes run back to back and the trigger changes nothing beyond noise; under light load the delay
 * is most of the latency, and 1 ms gave both the lowest latency and the highest throughput. 1024
 * entries per pass lets a full add-entries batch (1000) share a pass with single entries.
 */
export const DEFAULT_SEQUENCER_OPTIONS: SequencerOptions = {
  maxBatchEntries: 1024,
  maxDelayMs: 1,
  maxPendingEntries: 16384,
};

interface Submission {
  readonly submitter: string;
  readonly records: readonly PreparedRecord[];
  readonly batch: boolean;
  /** An erasure submission has no records of its own: the pass prepares its erasure record. */
  readonly erasure?: ErasureRequest;
  /** A shred submission likewise: the pass prepares its erasure record and destroys the key. */
  readonly shred?: ShredRequest;
  readonly arrivedAt: number;
  resolve(entries: SequencedEntry[]): void;
  reject(error: unknown): void;
}

export interface Published {
  readonly head: TreeHead;
  readonly edge: RightEdge;
  /** Tiles that became full in the pass. */
  readonly completed: readonly TileWrite[];
}

export interface SequencerDeps {
  readonly store: LogStore;
  readonly signer: NoteSigner;
  readonly origin: string;
  readonly now: () => number;
  readonly head: TreeHead;
  readonly edge: RightEdge;
  /** Called after a pass is durable, before any waiting request is answered. */
  readonly onPublish: (published: Published) => void;
  /** Told about passes and pushback, for metrics and logs; optional. */
  readonly observer?: SequencerObserver;
}

/**
 * What the sequencer reports about its own work. Plain numbers and errors, so that the sequencer
 * imports no metrics or logging library (src/observability implements it). Called synchronously:
 * an implementation must be cheap and must not throw.
 */
export interface SequencerObserver {
  /** A pass ended: `appended` new entries (0 if it held only repeats or refusals) made durable and published in `seconds`. */
  passed(appended: number, seconds: number): void;
  /** A pass failed as a whole: nothing of it was published, and every submission in it got `error`. */
  failed(error: unknown): void;
  /** A submission of `entries` records was refused with `overloaded` (503, pushback): the pool was full. */
  refused(entries: number): void;
}

/**
 * A pass that is prepared (its indices, leaves, tree and signed head decided) but not yet durable:
 * what the next pass, prepared meanwhile on top of it, must know that the store may not show yet.
 */
interface Ahead {
  /** Settles once the pass is durable and published (true), or has failed (false). */
  readonly durable: Promise<boolean>;
  /** The idempotency keys the pass assigns. */
  readonly keys: ReadonlyMap<string, { index: number; requestDigest: Uint8Array }>;
}

export class Sequencer {
  private readonly pool: Submission[] = [];
  private pooledEntries = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Passes started and not yet finished: at most two, one being prepared or written and one written. */
  private readonly passes = new Set<Promise<void>>();
  /** A pass is being prepared (steps 1–3); the next may start only once it is done. */
  private preparing = false;
  private closed = false;
  /** The published tree: what readers see and what a failed pass falls back to. */
  private head: TreeHead;
  private edge: RightEdge;
  /** The tree as the last prepared pass leaves it: the published one, or one pass ahead of it. */
  private tip: { head: TreeHead; edge: RightEdge };
  /** The last prepared pass while it is not yet durable. */
  private ahead: Ahead | undefined;
  /** Bumped by every failed pass: a pass prepared on a tip of an older generation is not written. */
  private generation = 0;
  /** A pass failed and `resync` has not yet succeeded since: the next pass runs it first. */
  private stale = false;

  constructor(
    private readonly deps: SequencerDeps,
    private readonly options: SequencerOptions = DEFAULT_SEQUENCER_OPTIONS,
  ) {
    this.head = deps.head;
    this.edge = deps.edge;
    this.tip = { head: deps.head, edge: deps.edge };
  }

  get pendingEntries(): number {
    return this.pooledEntries;
  }

  /**
   * Pools records for the next pass. Resolves once they are durable and published, with one entry per
   * record, in order. All or nothing: on any refusal no record of this submission is logged. For a
   * `batch` (add-entries), refusals name the record by its index in the batch.
   */
  submit(submitter: string, records: readonly PreparedRecord[], options: { batch?: boolean } = {}): Promise<SequencedEntry[]> {
    if (this.closed) return Promise.reject(new LogError('shutdown', 'the log is shutting down; retry against the restarted server', 5));
    // An empty pool always takes a submission, however large, so every batch can get in.
    if (this.pooledEntries > 0 && this.pooledEntries + records.length > this.options.maxPendingEntries) {
      this.deps.observer?.refused(records.length);
      return Promise.reject(
        new LogError('overloaded', `the log is at capacity (${this.pooledEntries} records waiting); retry shortly`, 1),
      );
    }
    return new Promise((resolve, reject) => {
      this.pool.push({ submitter, records, batch: options.batch ?? false, arrivedAt: this.deps.now(), resolve, reject });
      this.pooledEntries += records.length;
      this.schedule();
    });
  }

  /**
   * Pools an erasure (PROTOCOL §6). The pass reads the target record as it stands then (so concurrent
   * erasures of one field append one erasure entry), appends an erasure entry for the fields still
   * open, and rewrites the target's stored record without their values and salts, in the same batch.
   */
  submitErasure(request: ErasureRequest): Promise<SequencedEntry> {
    return this.submitLogEntry({ erasure: request });
  }

  /** Pools a crypto-shred (ShredRequest): one erasure entry, and the tenant's data key destroyed in its batch. */
  submitShred(request: ShredRequest): Promise<SequencedEntry> {
    return this.submitLogEntry({ shred: request });
  }

  /** Pools one entry the log writes itself (submitter: its origin), prepared by the pass. */
  private submitLogEntry(what: { erasure: ErasureRequest } | { shred: ShredRequest }): Promise<SequencedEntry> {
    if (this.closed) return Promise.reject(new LogError('shutdown', 'the log is shutting down; retry against the restarted server', 5));
    return new Promise((resolve, reject) => {
      this.pool.push({
        submitter: this.deps.origin,
        records: [],
        batch: false,
        ...what,
        arrivedAt: this.deps.now(),
        resolve: (entries) => resolve(entries[0]!),
        reject,
      });
      this.pooledEntries += 1;
      this.schedule();
    });
  }


  /** Stops accepting, finishes the passes for everything already pooled, and resolves when idle. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.passes.size > 0 || this.pool.length > 0) {
      if (this.passes.size > 0) await Promise.race(this.passes);
      else this.start();
    }
  }

  /**
   * Passes overlap by one: while a pass's batch is being written and fsync'd, the next is prepared on
   * top of it (its tree, leaves and signed head), and written only once the first is durable. At most
   * two are in flight; after a failure, none starts until the passes in flight are done and the
   * store's head is reloaded (resync).
   */
  private schedule(): void {
    if (this.preparing || this.passes.size >= 2 || (this.stale && this.passes.size > 0) || this.pool.length === 0) return;
    const waited = this.deps.now() - this.pool[0]!.arrivedAt;
    if (this.pooledEntries >= this.options.maxBatchEntries || waited >= this.options.maxDelayMs || this.closed) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.start();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, this.options.maxDelayMs - waited);
    }
  }

  private start(): void {
    const batch = this.take();
    this.preparing = true;
    const pass: Promise<void> = this.pass(batch).finally(() => {
      this.passes.delete(pass);
      this.schedule();
    });
    this.passes.add(pass);
  }

  /** Whole submissions, up to maxBatchEntries entries, but always at least one submission. */
  private take(): Submission[] {
    const batch: Submission[] = [];
    let entries = 0;
    while (this.pool.length > 0 && (batch.length === 0 || entries + sizeOf(this.pool[0]!) <= this.options.maxBatchEntries)) {
      const s = this.pool.shift()!;
      entries += sizeOf(s);
      batch.push(s);
    }
    this.pooledEntries -= entries;
    return batch;
  }

  /**
   * One sequencing pass. Never throws: every submission is resolved or rejected. Steps 1–3 run on
   * the tip (the tree as the previous pass leaves it, durable or not); step 4 waits until the
   * previous pass is durable, and writes nothing if it failed.
   */
  private async pass(batch: Submission[]): Promise<void> {
    const started = this.deps.observer ? performance.now() : 0;
    const generation = this.generation;
    const before = this.ahead;
    let mine: { ahead: Ahead; settle: (durable: boolean) => void } | undefined;
    /** This pass holds the preparing slot (until its step 3 is done). */
    let holding = true;
    try {
      if (this.stale) await this.resync();
      // Erasures and shreds read and rewrite stored records and data keys, which the previous pass
      // may still change: a pass holding one is prepared only once the previous pass is durable.
      if (before !== undefined && batch.some((s) => s.erasure || s.shred) && !(await before.durable)) throw earlierPassFailed();
      const base = this.tip;

      // 1. Deduplicate. Idempotency keys are looked up here, by the single writer, in the store and in
      //    the previous pass if it is not yet durable, so no two passes can both decide a key is new.
      //    Crash here: nothing written, nobody answered.
      const { decided, rewrites, shreds } = await this.deduplicate(batch, base.head.size, before);

      // 2. Sequence: assign indices and the log timestamp, build the leaves.
      //    The timestamp never goes backwards, even if the clock does.
      const firstIndex = base.head.size;
      const time = Math.max(this.deps.now(), base.head.timestamp);
      const leafInputs: Uint8Array[] = [];
      const leafHashes: Uint8Array[] = [];
      const records: (readonly StoredField[])[] = [];
      for (const d of decided) {
        for (const r of d.appended) {
          const leafInput = encodeLeaf({ kind: r.kind ?? 'record', time, submitter: d.submission.submitter, record: r.digest });
          leafInputs.push(leafInput);
          leafHashes.push(hashLeaf(leafInput));
          records.push(r.fields);
        }
      }

      // 3. Integrate into a copy of the tip's right edge and sign the new tree head. Crash here:
      //    nothing written; the published edge and head are untouched.
      const { edge, changed, completed } = base.edge.extend(leafHashes);
      const head = this.sign(edge.size, edge.root(), time);
      if (generation !== this.generation) throw earlierPassFailed();
      let settle!: (durable: boolean) => void;
      const durable = new Promise<boolean>((resolve) => (settle = resolve));
      const keys = new Map<string, { index: number; requestDigest: Uint8Array }>();
      for (const d of decided) for (const k of d.keys) keys.set(scopedKey(k.submitter, k.key), k.record);
      mine = { ahead: { durable, keys }, settle };
      this.ahead = mine.ahead;
      if (leafInputs.length > 0) this.tip = { head, edge };
      // The next pass may be prepared on this one's tip while this one is written.
      this.preparing = false;
      holding = false;
      this.schedule();

      // 4. Commit point, once the previous pass is durable: entries, records, erased records'
      //    rewrites, leaf index, idempotency keys, event_id index, tiles and the signed tree head in
      //    one synced batch. A crash before it returns leaves all of it or none of it (LevelDB replays
      //    whole batches from its log); start-up reads the tree head and rebuilds the edge from the
      //    tiles written in the same batch.
      if (before !== undefined && !(await before.durable)) throw earlierPassFailed();
      if (generation !== this.generation) throw earlierPassFailed();
      if (leafInputs.length > 0) {
        await this.deps.store.commit({
          firstIndex,
          leafInputs,
          leafHashes,
          records,
          idempotency: decided.flatMap((d) => d.keys),
          rewrites: [...rewrites].map(([index, fields]) => ({ index, fields })),
          ...(shreds.length > 0 ? { shreds } : {}),
          tiles: changed,
          head,
        });
        // 5. Publish: readers now see the new tree. Crash from here on: the pass is durable; a client
        //    that got no answer retries with its idempotency key and gets this entry back.
        this.head = head;
        this.edge = edge;
        this.deps.onPublish({ head, edge, completed });
      }
      mine.settle(true);
      if (this.ahead === mine.ahead) this.ahead = undefined;

      // The pass's duration ends here, at publication; the observer hears of it only after the answers
      // below, so that nothing it does can delay them (or, should it throw, fail a durable pass).
      const seconds = this.deps.observer ? (performance.now() - started) / 1000 : 0;

      // 6. Answer the waiting requests.
      let next = 0;
      for (const d of decided) {
        const entries: SequencedEntry[] = d.plan.map((p) => {
          if (p.kind === 'repeat') return { index: p.index, ...(d.erasure ? { erasure: d.erasure } : {}) };
          const offset = next++;
          return {
            index: firstIndex + offset,
            appended: { leafInput: leafInputs[offset]!, leafHash: leafHashes[offset]!, time, fields: records[offset]! },
            ...(d.erasure ? { erasure: d.erasure } : {}),
          };
        });
        d.submission.resolve(entries);
      }
      this.deps.observer?.passed(leafInputs.length, seconds);
    } catch (error) {
      // The pass failed as a whole (the store refused the write, most likely, or the pass before it
      // failed). Nothing of it was published; every waiting request gets the error. If it had moved
      // the tip, the tip goes back to the published tree and a pass prepared on it meanwhile is not
      // written (generation). The next pass starts from the stored head: the old one, unless the
      // failed write reached the disk after all (resync).
      if (holding) this.preparing = false;
      if (mine !== undefined) {
        mine.settle(false);
        if (this.ahead === mine.ahead) this.ahead = undefined;
        this.generation += 1;
        this.tip = { head: this.head, edge: this.edge };
      }
      this.stale = true;
      const failure =
        error instanceof LogError
          ? error
          : new LogError(
              'storage',
              `the log could not store this pass: ${(error as Error).message}; nothing of it was published, retry shortly ` +
                '(a retry with the same Idempotency-Key or event_id never logs a record twice)',
              1,
            );
      for (const s of batch) s.reject(failure);
      this.deps.observer?.failed(error);
      // At once rather than at the next pass, so that a failed write that reached the disk after all
      // is published as soon as it can be seen; if the store cannot tell yet, the next pass retries.
      // Only with no other pass in flight: one still running fails on its own and then resyncs.
      if (this.passes.size <= 1) await this.resync().catch(() => undefined);
    }
  }

  /**
   * After a failed pass: the store's tree head is the published one, unless the failed write reached
   * the disk all the same (LevelDB cannot tell after a failed fsync, and shows it once reopened).
   * Such a pass is whole and signed, built on the published head: it is published now, so that the
   * next pass extends it instead of giving its indices away again. Reads O(log n) tiles.
   */
  private async resync(): Promise<void> {
    const stored = await this.deps.store.readHead();
    if (!stored || stored.size < this.head.size) {
      throw new Error(`store is damaged: its tree head (size ${stored?.size}) is behind the published one (size ${this.head.size})`);
    }
    if (stored.size > this.head.size) {
      const edge = await RightEdge.load(stored.size, this.deps.store);
      if (!equalBytes(edge.root(), stored.rootHash)) {
        throw new Error(`store is damaged: the root recomputed from the stored tiles differs from the stored root at tree size ${stored.size}`);
      }
      this.head = stored;
      this.edge = edge;
      this.deps.onPublish({ head: stored, edge, completed: [] });
    }
    this.tip = { head: this.head, edge: this.edge };
    this.stale = false;
  }

  private sign(size: number, rootHash: Uint8Array, timestamp: number): TreeHead {
    return signHead(this.deps.signer, this.deps.origin, size, rootHash, timestamp);
  }

  /**
   * Decides, for each record of each submission, whether it is new or repeats an entry already logged
   * under the same idempotency key (in the store, or earlier in this pass). A key reused for a different
   * record refuses the whole submission with `conflict`.
   */
  private async deduplicate(
    batch: Submission[],
    firstIndex: number,
    before: Ahead | undefined,
  ): Promise<{ decided: Decided[]; rewrites: Map<number, StoredRecordField[]>; shreds: { tenant: string; erasureIndex: number }[] }> {
    const lookups: { submitter: string; key: string }[] = [];
    for (const s of batch) for (const r of s.records) if (r.idempotencyKey !== undefined) lookups.push({ submitter: s.submitter, key: r.idempotencyKey });
    const stored = await this.deps.store.readIdempotency(lookups);
    const known = new Map<string, { index: number; requestDigest: Uint8Array }>();
    lookups.forEach((k, i) => {
      const key = scopedKey(k.submitter, k.key);
      const record = stored[i] ?? before?.keys.get(key);
      if (record) known.set(key, record);
    });

    // Erasure targets as they stand now; erasures earlier in this pass update these views.
    const targets = [...new Set(batch.flatMap((s) => (s.erasure ? [s.erasure.targetIndex] : [])))];
    const targetRecords = await Promise.all(targets.map((t) => this.deps.store.readRecord(t)));
    const views = new Map<number, StoredRecordField[]>();
    targets.forEach((t, i) => {
      if (targetRecords[i]) views.set(t, targetRecords[i]!);
    });
    const rewrites = new Map<number, StoredRecordField[]>();
    const shreds: { tenant: string; erasureIndex: number }[] = [];

    const decided: Decided[] = [];
    let nextIndex = firstIndex;
    for (const submission of batch) {
      if (submission.shred) {
        const { tenant, requestedBy } = submission.shred;
        shreds.push({ tenant, erasureIndex: nextIndex });
        nextIndex += 1;
        decided.push({ submission, plan: [{ kind: 'new' }], appended: [prepareShredRecord(tenant, requestedBy)], keys: [] });
        continue;
      }
      if (submission.erasure) {
        const d = this.decideErasure(submission, submission.erasure, views, nextIndex);
        if (!d) continue;
        if (d.appended.length > 0) {
          rewrites.set(submission.erasure.targetIndex, views.get(submission.erasure.targetIndex)!);
          nextIndex += 1;
        }
        decided.push(d);
        continue;
      }
      const plan: Plan[] = [];
      const appended: PreparedRecord[] = [];
      const keys: Decided['keys'][number][] = [];
      const local = new Map<string, { index: number; requestDigest: Uint8Array }>();
      let refused: LogError | undefined;
      submission.records.forEach((r, i) => {
        if (refused) return;
        if (r.idempotencyKey !== undefined) {
          const k = scopedKey(submission.submitter, r.idempotencyKey);
          const prior = local.get(k) ?? known.get(k);
          if (prior) {
            if (!equalBytes(prior.requestDigest, r.requestDigest)) {
              refused = conflict(submission.batch ? i : undefined, r.idempotencyKey, prior.index);
              return;
            }
            plan.push({ kind: 'repeat', index: prior.index });
            return;
          }
          const index = nextIndex + appended.length;
          local.set(k, { index, requestDigest: r.requestDigest });
          keys.push({ submitter: submission.submitter, key: r.idempotencyKey, record: { index, requestDigest: r.requestDigest } });
        }
        plan.push({ kind: 'new' });
        appended.push(r);
      });
      if (refused) {
        submission.reject(refused);
        continue;
      }
      for (const [k, v] of local) known.set(k, v);
      nextIndex += appended.length;
      decided.push({ submission, plan, appended, keys });
    }
    return { decided, rewrites, shreds };
  }

  /**
   * Decides one erasure against the pass-local view of its target: the fields still open are erased
   * by a new entry at `index` (the view is updated to their commitments); if none is, the erasure
   * repeats the earlier one. Rejects the submission (and returns undefined) if the target is gone.
   */
  private decideErasure(submission: Submission, request: ErasureRequest, views: Map<number, StoredRecordField[]>, index: number): Decided | undefined {
    const view = views.get(request.targetIndex);
    if (!view) {
      submission.reject(new LogError('notFound', `no record at index ${request.targetIndex}`));
      return undefined;
    }
    const open = new Set(request.fields.filter((name) => view.some((f) => f.name === name && !isErased(f))));
    const alreadyErased = view.filter((f): f is ErasedField => isErased(f) && request.fields.includes(f.name)).map((f) => ({ name: f.name, erasureIndex: f.erasureIndex }));
    if (open.size === 0) {
      const earlier = alreadyErased[0]?.erasureIndex ?? 0;
      return { submission, plan: [{ kind: 'repeat', index: earlier }], appended: [], keys: [], erasure: { erased: [], alreadyErased } };
    }
    const erased = request.fields.filter((name) => open.has(name));
    views.set(
      request.targetIndex,
      view.map((f) => (isErased(f) || !open.has(f.name) ? f : { name: f.name, commitment: fieldCommitment(f.name, f.jcs, f.salt), erasureIndex: index })),
    );
    const record = prepareErasureRecord(request.targetIndex, erased, request.reason, request.requestedBy);
    return { submission, plan: [{ kind: 'new' }], appended: [record], keys: [], erasure: { erased, alreadyErased } };
  }
}

/** A pass's new tree head: the checkpoint and the STH of the tree of `size` leaves and root `rootHash`. */
export function signHead(signer: NoteSigner, origin: string, size: number, rootHash: Uint8Array, timestamp: number): TreeHead {
  const checkpoint = signCheckpoint({ origin, size, rootHash, extensions: [] }, signer);
  const sthSignature = signTreeHead(signer, timestamp, size, rootHash);
  return { size, rootHash, timestamp, checkpoint, sthSignature };
}

type Plan = { kind: 'new' } | { kind: 'repeat'; index: number };

interface Decided {
  readonly submission: Submission;
  readonly plan: Plan[];
  readonly appended: PreparedRecord[];
  readonly keys: { submitter: string; key: string; record: { index: number; requestDigest: Uint8Array } }[];
  readonly erasure?: ErasureOutcome;
}

/** Entries a submission adds to the pool: its records, or one for an erasure. */
const sizeOf = (s: Submission): number => (s.erasure || s.shred ? 1 : s.records.length);

const scopedKey = (submitter: string, key: string): string => `${submitter}\u0000${key}`;

/** Why a pass prepared on top of one that then failed is not written. */
function earlierPassFailed(): LogError {
  return new LogError(
    'storage',
    'the log could not store an earlier pass, on which this one was built; nothing of it was published, retry shortly ' +
      '(a retry with the same Idempotency-Key or event_id never logs a record twice)',
    1,
  );
}

function conflict(recordIndex: number | undefined, key: string, priorIndex: number): LogError {
  const where = recordIndex === undefined ? '' : `record ${recordIndex}: `;
  return new LogError(
    'conflict',
    `${where}idempotency key ${JSON.stringify(key)} was already used for a different record (entry ${priorIndex}); ` +
      'send the same record to get its receipt again, or use a new key',
  );
}
