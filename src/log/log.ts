/**
 * @module
 * The log: opens a store, checks it, runs the sequencer, and answers every read the API needs.
 * Reads never wait for the sequencer: they work from the last published tree head.
 */
import {
  EMPTY_ROOT,
  TILE_WIDTH,
  consistencyPlan,
  foldRightEdge,
  hashLeaf,
  inclusionPlan,
} from '../merkle/index.js';
import type { NodeId } from '../merkle/index.js';
import { openCheckpoint, signCheckpoint, signTreeHead, verifyTreeHead } from '../note/index.js';
import type { NoteSigner, NoteVerifier } from '../note/index.js';
import { decodeLeaf } from '../record/index.js';
import type { RecordField } from '../record/index.js';
import { equalBytes, toBase64 } from '../util/bytes.js';
import { LogError } from '../util/errors.js';
import type { LogStore, StoredRecordField, TreeHead } from '../storage/types.js';
import { RightEdge } from './edge.js';
import { checkNewestEntry, checkNewestFullTiles } from './integrity.js';
import { prepareRecord } from './prepare.js';
import { PublishedFeed } from './published.js';
import type { PublishedListener } from './published.js';
import { formatReceipt } from './receipt.js';
import type { Receipt } from './receipt.js';
import { DEFAULT_SEQUENCER_OPTIONS, Sequencer } from './sequencer.js';
import type { ErasureOutcome, ErasureRequest, PreparedRecord, SequencedEntry, SequencerObserver, SequencerOptions } from './sequencer.js';
import { TileCache } from './tiles.js';

/** Ragged proof elements remembered at most (Log.ragged): 32 bytes and a short key each. */
const MAX_RAGGED = 4096;

/** get-entries returns at most this many entries per call (PROTOCOL §5). */
export const MAX_ENTRIES_PER_READ = 1000;

export interface LogOptions {
  readonly store: LogStore;
  readonly signer: NoteSigner;
  /** Verifies the stored checkpoint at start-up: the signer's own verifier. */
  readonly verifier: NoteVerifier;
  readonly now?: () => number;
  readonly sequencer?: Partial<SequencerOptions>;
  /** Told about sequencing passes and pushback (metrics, logs). */
  readonly observer?: SequencerObserver;
}

export class Log {
  private published: TreeHead;
  /**
   * MTH(D[begin:end]) of the ragged proof elements folded so far, by `begin:end` (see `proof`). The
   * leaves of a range never change, so neither does its hash; the published tree has at most one
   * ragged range per level, and the map is emptied when clients' other tree sizes fill it.
   */
  private readonly ragged = new Map<string, Uint8Array>();
  /** auditPathNow's proof hashes for one published head (its tree size), by node ids. */
  private auditPathCache: { readonly head: TreeHead; readonly hashes: Map<string, string> } | undefined;
  private readonly sequencer: Sequencer;
  private readonly tiles: TileCache;
  private readonly feed: PublishedFeed;

  private constructor(
    private readonly store: LogStore,
    readonly origin: string,
    head: TreeHead,
    edge: RightEdge,
    signer: NoteSigner,
    now: () => number,
    options: SequencerOptions,
    observer: SequencerObserver | undefined,
  ) {
    this.published = head;
    this.tiles = new TileCache(store);
    this.tiles.publish(edge.published(), []);
    this.feed = new PublishedFeed(store, head);
    this.sequencer = new Sequencer(
      {
        store,
        signer,
        origin,
        now,
        head,
        edge,
        onPublish: (p) => {
          this.tiles.publish(p.edge.published(this.tiles.edgeTiles), p.completed);
          this.published = p.head;
          this.feed.published(p.head);
        },
        observer,
      },
      options,
    );
  }

  /** Writes a new, empty log into an empty store: its metadata and a signed checkpoint of size 0. */
  static async initialise(store: LogStore, signer: NoteSigner, now: () => number = Date.now): Promise<void> {
    const timestamp = now();
    const checkpoint = signCheckpoint({ origin: signer.name, size: 0, rootHash: EMPTY_ROOT, extensions: [] }, signer);
    const sthSignature = signTreeHead(signer, timestamp, 0, EMPTY_ROOT);
    await store.initialise(
      { origin: signer.name, createdAt: timestamp },
      { size: 0, rootHash: EMPTY_ROOT, timestamp, checkpoint, sthSignature },
    );
  }

  /**
   * Opens an existing log. Checks, without scanning the log, that the stored tree head (checkpoint and
   * STH) is signed by this log's key, that the root recomputed from the stored right edge matches it,
   * and the newest tiles and entry (integrity.ts); a store that fails a check is refused with the reason.
   */
  static async open(options: LogOptions): Promise<Log> {
    const { store, signer, verifier } = options;
    const meta = await store.readMeta();
    const head = await store.readHead();
    if (!meta && !head) throw new Error('no log in this store: initialise it first (sealtrail init)');
    if (!meta || !head) throw new Error(`store is damaged: it holds the log's ${meta ? 'metadata but no tree head' : 'tree head but no metadata'}`);
    if (meta.origin !== signer.name) {
      throw new Error(`the key is for origin ${JSON.stringify(signer.name)} but the store holds log ${JSON.stringify(meta.origin)}`);
    }
    let checkpoint: ReturnType<typeof openCheckpoint>['checkpoint'];
    try {
      ({ checkpoint } = openCheckpoint(head.checkpoint, verifier));
    } catch (e) {
      throw new Error(`store is damaged: the stored checkpoint (tree head size ${head.size}) does not verify under the log's key: ${(e as Error).message}`);
    }
    if (checkpoint.size !== head.size || !equalBytes(checkpoint.rootHash, head.rootHash)) {
      throw new Error(`store is damaged: the stored checkpoint (size ${checkpoint.size}) does not match the stored tree head (size ${head.size})`);
    }
    const edge = await RightEdge.load(head.size, store);
    if (!equalBytes(edge.root(), head.rootHash)) {
      throw new Error(
        `store is damaged: the root recomputed from the stored tiles (${toBase64(edge.root())}) differs from the signed root ` +
          `(${toBase64(head.rootHash)}) at tree size ${head.size}`,
      );
    }
    // get-sth serves the stored STH as it is: its signature (over timestamp, size and root) must hold too.
    if (!verifyTreeHead(verifier, head.timestamp, head.size, head.rootHash, head.sthSignature)) {
      throw new Error(`store is damaged: the stored tree head signature (STH of tree size ${head.size}, timestamp ${head.timestamp}) does not verify under the log's key`);
    }
    await checkNewestFullTiles(store, head.size);
    await checkNewestEntry(store, head.size);
    const sequencer = { ...DEFAULT_SEQUENCER_OPTIONS, ...options.sequencer };
    return new Log(store, meta.origin, head, edge, signer, options.now ?? Date.now, sequencer, options.observer);
  }

  /** The latest published tree head. */
  get head(): TreeHead {
    return this.published;
  }

  get pendingEntries(): number {
    return this.sequencer.pendingEntries;
  }

  /** Salts and commits a parsed record; done at request time, off the sequencer's path. */
  static prepare(fields: readonly RecordField[], idempotencyKey: string | undefined): PreparedRecord {
    return prepareRecord(fields, idempotencyKey);
  }

  /**
   * Logs the records (all or nothing) and returns their receipts once durable and published. With
   * `batch` (add-entries), refusals name the record by its index.
   */
  async submit(submitter: string, records: readonly PreparedRecord[], options: { batch?: boolean } = {}): Promise<Receipt[]> {
    const entries = await this.sequencer.submit(submitter, records, options);
    const head = this.published;
    // The entries the pass appended are answered from memory, at once: their leaf, hash, time and
    // fields came back with them, and the proof's tiles are the published right edge.
    const now = entries.map((e) => this.receiptNow(e, head));
    if (now.every((r) => r !== undefined)) return now;
    return Promise.all(entries.map((e, i) => now[i] ?? this.receipt(e, head)));
  }

  /** The receipt of an entry the pass appended, when every tile its proof needs is in memory. */
  private receiptNow(entry: SequencedEntry, head: TreeHead): Receipt | undefined {
    const appended = entry.appended;
    if (appended === undefined) return undefined;
    const base64 = this.auditPathNow(entry.index, head);
    if (base64 === undefined) return undefined;
    return formatReceipt({
      index: entry.index,
      timestamp: appended.time,
      leafHash: appended.leafHash,
      leafInput: appended.leafInput,
      fields: appended.fields,
      checkpoint: head.checkpoint,
      auditPath: { base64 },
    });
  }

  /**
   * The audit path of `index` in the tree of `head`, base64-encoded, from tiles in memory (undefined
   * if one must be read). The receipts of one pass share most of their paths (the upper levels), so
   * each proof hash is fetched and encoded once per published head and then taken from here.
   */
  private auditPathNow(index: number, head: TreeHead): string[] | undefined {
    let cache = this.auditPathCache;
    if (cache === undefined || cache.head !== head) this.auditPathCache = cache = { head, hashes: new Map() };
    const plan = inclusionPlan(index, head.size);
    const path = new Array<string>(plan.length);
    for (let i = 0; i < plan.length; i++) {
      const element = plan[i]!;
      // An element is one perfect subtree, or (on the ragged right edge) several to fold.
      let key = '';
      for (const id of element) key += `${id.level}/${id.index} `;
      let encoded = cache.hashes.get(key);
      if (encoded === undefined) {
        const hashes = this.tiles.hashesNow(element);
        if (hashes === undefined) return undefined;
        encoded = toBase64(hashes.length === 1 ? hashes[0]! : foldRightEdge(hashes));
        cache.hashes.set(key, encoded);
      }
      path[i] = encoded;
    }
    return path;
  }

  private async receipt(entry: SequencedEntry, head: TreeHead): Promise<Receipt> {
    const leafInput = entry.appended?.leafInput ?? (await this.store.readEntry(entry.index));
    const fields = entry.appended?.fields ?? (await this.store.readRecord(entry.index));
    if (!leafInput || !fields) throw new Error(`entry ${entry.index} is missing from the store`);
    const auditPath = await this.inclusionProof(entry.index, head.size);
    return formatReceipt({
      index: entry.index,
      timestamp: decodeLeaf(leafInput).time,
      leafHash: hashLeaf(leafInput),
      leafInput,
      fields,
      checkpoint: head.checkpoint,
      auditPath,
    });
  }

  private inclusionProof(index: number, treeSize: number): Promise<Uint8Array[]> | Uint8Array[] {
    return this.proof(inclusionPlan(index, treeSize));
  }

  /**
   * The hashes of a proof plan (buildProof), without waiting when its tiles are in memory. Each
   * ragged element (several subtrees across the tree's right edge: MTH(D[begin:end])) is folded
   * once per leaf range and then taken from `ragged`: the proofs of one tree size share them.
   */
  private proof(plan: NodeId[][]): Promise<Uint8Array[]> | Uint8Array[] {
    // Not plan.flat(), which took 3 µs a proof on Node 20 (more than this whole loop; measured).
    const nodes: NodeId[] = [];
    for (const element of plan) for (const id of element) nodes.push(id);
    const hashes = this.tiles.hashesNow(nodes);
    return hashes !== undefined ? this.assemble(plan, hashes) : this.tiles.hashes(nodes).then((h) => this.assemble(plan, h));
  }

  /** buildProof over `hashes`, the hashes of the plan's nodes in order, with `ragged` for the folds. */
  private assemble(plan: readonly (readonly NodeId[])[], hashes: readonly Uint8Array[]): Uint8Array[] {
    const proof = new Array<Uint8Array>(plan.length);
    let next = 0;
    for (let i = 0; i < plan.length; i++) {
      const nodes = plan[i]!;
      if (nodes.length === 1) {
        proof[i] = hashes[next++]!;
        continue;
      }
      const first = nodes[0]!;
      const last = nodes[nodes.length - 1]!;
      const key = `${first.index * 2 ** first.level}:${(last.index + 1) * 2 ** last.level}`;
      let hash = this.ragged.get(key);
      if (hash === undefined) {
        hash = foldRightEdge(hashes.slice(next, next + nodes.length));
        if (this.ragged.size >= MAX_RAGGED) this.ragged.clear();
        this.ragged.set(key, hash);
      }
      next += nodes.length;
      proof[i] = hash.slice(); // the caller's own copy, as for the other elements
    }
    return proof;
  }

  /** RFC 6962 get-sth-consistency. Requires 0 <= first <= second <= tree size. */
  async consistencyProof(first: number, second: number): Promise<Uint8Array[]> {
    const size = this.published.size;
    if (first > size) throw new LogError('firstUnknown', `first ${first} is larger than the current tree size ${size}`);
    if (second > size) throw new LogError('secondUnknown', `second ${second} is larger than the current tree size ${size}`);
    if (second < first) throw new LogError('secondBeforeFirst', `second ${second} is smaller than first ${first}`);
    return this.proof(consistencyPlan(first, second));
  }

  /** RFC 6962 get-proof-by-hash. */
  async proofByHash(leafHash: Uint8Array, treeSize: number): Promise<{ leafIndex: number; auditPath: Uint8Array[] }> {
    this.checkTreeSize(treeSize);
    const leafIndex = await this.store.findLeafIndex(leafHash);
    if (leafIndex === undefined || leafIndex >= treeSize) {
      throw new LogError('hashUnknown', `no entry with leaf hash ${toBase64(leafHash)} in the tree of size ${treeSize}`);
    }
    return { leafIndex, auditPath: await this.inclusionProof(leafIndex, treeSize) };
  }

  /** RFC 6962 get-entry-and-proof. */
  async entryAndProof(leafIndex: number, treeSize: number): Promise<{ leafInput: Uint8Array; auditPath: Uint8Array[] }> {
    this.checkTreeSize(treeSize);
    if (leafIndex >= treeSize) {
      throw new LogError('leafIndexUnknown', `leaf_index ${leafIndex} is not below tree_size ${treeSize}`);
    }
    const leafInput = await this.store.readEntry(leafIndex);
    if (!leafInput) throw new Error(`entry ${leafIndex} is missing from the store`);
    return { leafInput, auditPath: await this.inclusionProof(leafIndex, treeSize) };
  }

  /** RFC 6962 get-entries: [start, end] inclusive, clipped to the tree and to MAX_ENTRIES_PER_READ. */
  async entries(start: number, end: number): Promise<Uint8Array[]> {
    const size = this.published.size;
    if (end < start) throw new LogError('endBeforeStart', `end ${end} is smaller than start ${start}`);
    if (start >= size) throw new LogError('startUnknown', `start ${start} is not below the current tree size ${size}`);
    const last = Math.min(end, size - 1, start + MAX_ENTRIES_PER_READ - 1);
    return this.store.readEntries(start, last - start + 1);
  }

  /**
   * The stored values and salts of entry `index` of the tree of `treeSize` (a published size), or
   * undefined beyond it: an entry of a pass not yet published is never read.
   */
  async storedRecord(index: number, treeSize: number): Promise<StoredRecordField[] | undefined> {
    if (index >= Math.min(treeSize, this.published.size)) return undefined;
    const fields = await this.store.readRecord(index);
    if (!fields) throw new Error(`the record of entry ${index} is missing from the store`);
    return fields;
  }

  /** Indices below `treeSize` (a published size) whose record has this top-level string event_id, in log order. */
  async indicesByEventId(eventId: string, treeSize: number, limit: number): Promise<number[]> {
    const size = Math.min(treeSize, this.published.size);
    // The index may hold keys of a pass being committed (beyond the published size): skip them.
    return (await this.store.findByEventId(eventId, limit)).filter((i) => i < size);
  }

  /**
   * C2SP tlog-tiles hash tile (level, index) of `width` hashes (256 for a full tile), or undefined if
   * the published tree does not have that many hashes in it yet.
   */
  async hashTile(level: number, index: number, width: number): Promise<Uint8Array | undefined> {
    const available = Math.floor(this.published.size / TILE_WIDTH ** level) - index * TILE_WIDTH;
    if (available < width) return undefined;
    const hashes = await this.store.readTile(level, index);
    if (!hashes || hashes.length < width * 32) throw new Error(`tile ${level}/${index} is missing from the store`);
    return hashes.subarray(0, width * 32);
  }

  /** C2SP tlog-tiles entry bundle: each leaf_input as uint16 big-endian length || leaf_input. */
  async entryBundle(index: number, width: number): Promise<Uint8Array | undefined> {
    const start = index * TILE_WIDTH;
    if (this.published.size - start < width) return undefined;
    const bundle = await this.store.readEntryBundle(index, width);
    if (!bundle) throw new Error(`entry bundle ${index} is missing from the store`);
    return bundle;
  }

  /**
   * Erases `fields` of entry `targetIndex` (PROTOCOL §6): their values and salts leave the record
   * store (and, after the compaction this waits for, the files on disk), their commitments stay, and
   * an erasure entry saying why is appended. Fields already erased are left as they are; when none
   * is left to erase, nothing is appended. Validated against the published tree.
   */
  async erase(request: ErasureRequest): Promise<{ readonly outcome: ErasureOutcome; readonly erasureIndex: number; readonly receipt: Receipt | undefined }> {
    const { targetIndex, fields } = request;
    const head = this.published;
    if (targetIndex >= head.size) throw new LogError('notFound', `no record at index ${targetIndex} in the published tree (size ${head.size})`);
    const [leafInput, stored] = await Promise.all([this.store.readEntry(targetIndex), this.store.readRecord(targetIndex)]);
    if (!leafInput || !stored) throw new Error(`entry ${targetIndex} is missing from the store`);
    if (decodeLeaf(leafInput).kind !== 'record') {
      throw new LogError('malformed', `entry ${targetIndex} is an erasure entry; only the fields of records can be erased`);
    }
    const names = new Set(stored.map((f) => f.name));
    const unknown = fields.filter((f) => !names.has(f));
    if (unknown.length > 0) {
      throw new LogError('malformed', `record ${targetIndex} has no field ${unknown.map((f) => JSON.stringify(f)).join(', ')}; name fields the record has`);
    }
    const entry = await this.sequencer.submitErasure(request);
    // The erasure is durable; the compaction only removes the overwritten bytes from the files. It
    // runs when nothing was left to erase too, so that repeating a request whose compaction failed
    // (the disk full, say) finishes the job.
    try {
      await this.store.compactRecord(targetIndex);
    } catch (error) {
      throw new LogError(
        'storage',
        `erasure entry ${entry.index} is logged and the fields read as erased, but their old values could not yet be removed ` +
          `from the files: ${(error as Error).message}; send the same request again to finish`,
        1,
      );
    }
    return {
      outcome: entry.erasure!,
      erasureIndex: entry.index,
      receipt: entry.appended ? await this.receipt(entry, this.published) : undefined,
    };
  }

  /**
   * Crypto-shreds `tenant` (spec/formats.md §20.3): appends an erasure entry
   * `{"tenant_id", "reason": "crypto-shred", "requested_by"}` and destroys the tenant's data key in
   * the same batch (then compacts it out of the files). Every record of the tenant logged before it
   * then reads as erased by that entry; its later records get a new key.
   */
  async shredTenant(tenant: string, requestedBy: string): Promise<{ readonly erasureIndex: number; readonly receipt: Receipt }> {
    const entry = await this.sequencer.submitShred({ tenant, requestedBy });
    return { erasureIndex: entry.index, receipt: await this.receipt(entry, this.published) };
  }

  /**
   * Stops accepting entries (new submissions get 503 `shutdown`) and resolves once every pooled entry
   * has been sequenced and answered. Reads keep working until `close`.
   */
  async drain(): Promise<void> {
    await this.sequencer.close();
    await this.feed.close();
  }

  /**
   * Calls `listener` after each pass is published (see src/log/published.ts), until the log drains
   * or closes. Returns the function that unsubscribes. Throws once the log has drained.
   */
  onPublished(listener: PublishedListener): () => void {
    if (this.feed.closed) throw new LogError('shutdown', 'the log is shutting down; reconnect to the restarted server', 5);
    return this.feed.subscribe(listener);
  }

  /** Drains, then closes the store. */
  async close(): Promise<void> {
    await this.sequencer.close();
    await this.feed.close();
    await this.store.close();
  }

  private checkTreeSize(treeSize: number): void {
    const size = this.published.size;
    if (treeSize > size) throw new LogError('treeSizeUnknown', `tree_size ${treeSize} is larger than the current tree size ${size}`);
    if (treeSize === 0) throw new LogError('treeSizeUnknown', 'tree_size 0 has no entries; ask for a tree size of at least 1');
  }
}
