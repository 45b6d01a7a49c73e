/**
 * @module
 * LogStore on LevelDB (classic-level). Every pass is one `batch(..., { sync: true })`: LevelDB
 * appends the batch to its write-ahead log as a single record and fsyncs it before returning, so after
 * a crash it replays either the whole batch or none of it.
 *
 * Record values and salts are sealed under per-tenant data keys (sealed.ts, spec/formats.md §20);
 * everything else (leaves, tiles, hashes, tokens) is stored as it is, and needs no master key.
 */
import { readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { decodeDcbor, encodeDcbor } from '../record/cbor.js';
import type { Dcbor } from '../record/cbor.js';
import { fieldCommitment, leafKind } from '../record/index.js';
import { masterKeyCheck, masterKeyMatches } from './crypto.js';
import type { MasterKey } from './crypto.js';
import { Keyring, PendingKeys, SEALED_LAYOUT } from './sealed.js';
import type {
  IdempotencyRecord,
  LogMeta,
  LogStore,
  PassWrite,
  Principal,
  StoredField,
  StoredPrincipal,
  StoredRecordField,
  TreeHead,
  TreeWrite,
} from './types.js';
import { isErased, storedString } from './types.js';
import { LogError } from '../util/errors.js';
import { BUNDLE_WIDTH, appendToBundle, bundleEntry, bundlePrefix, bundleWidth, splitBundle } from './bundles.js';
import { StorageFailure, errnoError, storageFailure } from './faults.js';
import type { StoreFault, StoreWrite } from './faults.js';
import {
  DATA_KEY_RANGE,
  LOG_META_KEY,
  MASTER_CHECK_KEY,
  ENTRY_RANGE,
  STATE_KEY,
  TOKEN_RANGE,
  bundleKey,
  eventIdKey,
  eventIdRange,
  idempotencyKey,
  jobStateKey,
  leafHashKey,
  readUint64,
  recordKey,
  tileKey,
  tokenKey,
  writeUint64,
} from './keys.js';

type Db = Level<Buffer, Buffer>;
type BatchOp = { type: 'put'; key: Buffer; value: Buffer };

const EMPTY = Buffer.alloc(0);

/**
 * LevelDB's CompactRange over [start, end): `level` is classic-level on Node, whose typings omit
 * compactRange, which classic-level has.
 */
function compactRange(db: Db, start: Buffer, end: Buffer): Promise<void> {
  return (db as unknown as { compactRange(start: Buffer, end: Buffer): Promise<void> }).compactRange(start, end);
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

/** Stored values are deterministic CBOR (the codec the leaf uses); anything else is damage. */
const encode = (value: Dcbor): Buffer => asBuffer(encodeDcbor(value));

function damaged(what: string): never {
  throw new Error(`store is damaged: ${what} has an unexpected shape`);
}

function decodeArray(value: Uint8Array, what: string, length?: number): readonly Dcbor[] {
  const decoded = decodeDcbor(value);
  if (!Array.isArray(decoded) || (length !== undefined && decoded.length !== length)) damaged(what);
  return decoded as readonly Dcbor[];
}

const num = (v: Dcbor | undefined, what: string): number => (typeof v === 'number' ? v : damaged(what));
const str = (v: Dcbor | undefined, what: string): string => (typeof v === 'string' ? v : damaged(what));
const bytes = (v: Dcbor | undefined, what: string): Uint8Array => (v instanceof Uint8Array ? v : damaged(what));

function encodeHead(head: TreeHead): Buffer {
  return encode([head.size, head.rootHash, head.timestamp, head.checkpoint, head.sthSignature]);
}

function decodeHead(value: Uint8Array): TreeHead {
  const [size, rootHash, timestamp, checkpoint, sthSignature] = decodeArray(value, 'the tree head', 5);
  return {
    size: num(size, 'the tree head'),
    rootHash: bytes(rootHash, 'the tree head'),
    timestamp: num(timestamp, 'the tree head'),
    checkpoint: str(checkpoint, 'the tree head'),
    sthSignature: bytes(sthSignature, 'the tree head'),
  };
}

/** The layout this version writes: leaf_inputs in entry bundles (bundles.ts). Layout 1 is migrated at open. */
const LAYOUT = 2;

function encodeMeta(meta: LogMeta): Buffer {
  return encode([meta.layout, meta.origin, meta.createdAt]);
}

function decodeMeta(value: Uint8Array): LogMeta {
  const [layout, origin, createdAt] = decodeArray(value, 'the log metadata', 3);
  if (layout !== 1 && layout !== LAYOUT) {
    throw new Error(`store layout ${String(layout)} is not supported by this version (it reads layouts 1 and ${LAYOUT})`);
  }
  return { layout, origin: str(origin, 'the log metadata'), createdAt: num(createdAt, 'the log metadata') };
}

/** Entries converted per synced batch when migrating a layout-1 store: whole bundles, about 2 MB. */
const MIGRATION_CHUNK = 64 * BUNDLE_WIDTH;

/**
 * Layout 1 → 2: the one-key-per-entry leaf_inputs (`e` + index) become entry bundles (`b` + N).
 * Each synced batch writes whole bundles and deletes exactly their entry keys, so a migration cut
 * short by a crash resumes where it stopped: what is left under `e` is whole bundles not yet
 * converted. The metadata says layout 2 only once no `e` key is left and their range is
 * compacted. Entries must run without a gap from 0, or positions within a bundle would shift: a
 * gap refuses the store as damaged.
 */
async function migrateToBundles(db: Db, meta: LogMeta): Promise<void> {
  let expected: number | undefined;
  let ops: (BatchOp | { type: 'del'; key: Buffer })[] = [];
  let bundle: { index: number; leaves: Buffer[]; keys: Buffer[] } | undefined;
  let pending = 0;
  const flushBundle = (): void => {
    if (!bundle) return;
    ops.push({ type: 'put', key: bundleKey(bundle.index), value: appendToBundle(undefined, bundle.leaves, 0, bundle.leaves.length) });
    for (const key of bundle.keys) ops.push({ type: 'del', key });
    bundle = undefined;
  };
  const flush = async (): Promise<void> => {
    flushBundle();
    if (ops.length > 0) await db.batch(ops, { sync: true });
    ops = [];
    pending = 0;
  };
  for await (const [key, value] of db.iterator(ENTRY_RANGE)) {
    const index = readUint64(key, 1);
    // The first entry left is the first of a bundle: earlier ones were converted whole.
    expected ??= index - (index % BUNDLE_WIDTH);
    if (index !== expected) throw new Error(`store is damaged: entry ${expected} is missing (found while migrating to entry bundles)`);
    expected = index + 1;
    const n = Math.floor(index / BUNDLE_WIDTH);
    if (bundle && bundle.index !== n) {
      flushBundle();
      if (pending >= MIGRATION_CHUNK) await flush();
    }
    bundle ??= { index: n, leaves: [], keys: [] };
    bundle.leaves.push(value);
    bundle.keys.push(key);
    pending += 1;
  }
  await flush();
  // The deleted entry keys' values and tombstones would otherwise sit in the tables until LevelDB's
  // own compactions reach them, costing disk and, while those run, read latency.
  await compactRange(db, ENTRY_RANGE.gte, ENTRY_RANGE.lt);
  await db.put(LOG_META_KEY, encodeMeta({ ...meta, layout: LAYOUT }), { sync: true });
}

/**
 * Seals entry `index`'s record under its tenant's data key (the default tenant's for the log's own
 * erasure entries, whose `tenant_id`, if any, names the tenant they erase). A new data key goes into
 * `pending`, hence into the same batch.
 */
function encodeRecord(keyring: Keyring, pending: PendingKeys, index: number, fields: readonly StoredRecordField[], ownEntry = false): Buffer | Promise<Buffer> {
  const tenant = ownEntry ? undefined : storedString(fields, 'tenant_id');
  const known = keyring.knownForWrite(tenant, pending);
  if (known !== undefined) return keyring.sealRecord(index, fields, known);
  return keyring.forWrite(tenant, pending).then((dataKey) => keyring.sealRecord(index, fields, dataKey));
}

/**
 * A sealed record (`[2, …]`, sealed.ts). Layout 1 (plaintext: an open field `[name, jcs text,
 * salt]`, an erased one `[name, commitment bytes, erasure index]`) is still read, never written.
 */
async function decodeRecord(keyring: Keyring | undefined, index: number, value: Uint8Array): Promise<StoredRecordField[]> {
  const decoded = decodeArray(value, 'a record');
  if (decoded[0] === SEALED_LAYOUT) return needKeyring(keyring).openRecord(index, decoded);
  return decoded.map((f): StoredRecordField => {
    const [name, second, third] = Array.isArray(f) && f.length === 3 ? (f as Dcbor[]) : damaged('a record');
    if (typeof second === 'string') return { name: str(name, 'a record'), jcs: second, salt: bytes(third, 'a record') };
    return { name: str(name, 'a record'), commitment: bytes(second, 'a record'), erasureIndex: num(third, 'a record') };
  });
}

/**
 * `[name, role, createdAt]` for a principal that reads every tenant (the only form before tenant
 * scopes existed, so such tokens keep their meaning), `[name, role, createdAt, [tenant, …]]` for a
 * scoped one.
 */
function encodePrincipal(p: Principal): Buffer {
  const base: Dcbor[] = [p.name, p.role, p.createdAt];
  return encode(p.tenants === undefined ? base : [...base, [...p.tenants]]);
}

function decodePrincipal(value: Uint8Array): Principal {
  const decoded = decodeArray(value, 'a token');
  if (decoded.length !== 3 && decoded.length !== 4) damaged('a token');
  const [name, role, createdAt, tenants] = decoded;
  const r = str(role, 'a token');
  if (r !== 'submitter' && r !== 'auditor' && r !== 'admin') damaged('a token');
  const principal: Principal = { name: str(name, 'a token'), role: r, createdAt: num(createdAt, 'a token') };
  if (tenants === undefined) return principal;
  if (!Array.isArray(tenants)) damaged('a token');
  return { ...principal, tenants: (tenants as readonly Dcbor[]).map((t) => str(t, 'a token')) };
}


/**
 * A record of a tenant shredded in the same pass by a later entry (its erasure entry's index is
 * higher) must not be sealed under the tenant's next key: its open fields are stored erased by the
 * shred instead, as they would read had they been stored before it.
 */
function shreddedBefore(shreds: NonNullable<PassWrite['shreds']>): (index: number, fields: readonly StoredRecordField[]) => readonly StoredRecordField[] {
  if (shreds.length === 0) return (_index, fields) => fields;
  const at = new Map(shreds.map((s) => [s.tenant, s.erasureIndex]));
  return (index, fields) => {
    const tenant = storedString(fields, 'tenant_id');
    const erasureIndex = tenant === undefined ? undefined : at.get(tenant);
    if (erasureIndex === undefined || index > erasureIndex) return fields;
    return fields.map((f) => (isErased(f) ? f : { name: f.name, commitment: fieldCommitment(f.name, f.jcs, f.salt), erasureIndex }));
  };
}

function needKeyring(keyring: Keyring | undefined): Keyring {
  if (!keyring) throw new Error('records are encrypted at rest: this store was opened without the master key, which reading or writing them needs');
  return keyring;
}

function encodeIndex(index: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeUint64(b, 0, index);
  return b;
}

/**
 * `db.batch(ops, { sync: true })` for a pass. abstract-level's batch() copies each operation,
 * validates it and runs it through the key and value encodings (and prewrite hooks) in JavaScript
 * before handing the array to classic-level's `_batch`, which builds the LevelDB WriteBatch
 * natively. With Buffer keys and values, identity encodings and no hooks or sublevels (this store
 * uses none) that work changes nothing, and for the three or more puts per entry of a pass it cost
 * about 8% of the main thread's CPU time per add-entry (measured under the P1 load). So a pass goes
 * to `_batch` directly, after the same open check; anything else takes the public path. Errors
 * and durability are the same: abstract-level passes `_batch`'s promise on as it is, and
 * `sync: true` reaches LevelDB either way.
 */
export function syncedBatch(db: Db, ops: BatchOp[]): Promise<void> {
  const direct = (db as unknown as { _batch?: (ops: BatchOp[], options: { sync: boolean }) => Promise<void> })._batch;
  if (db.status === 'open' && typeof direct === 'function') return direct.call(db, ops, { sync: true });
  return db.batch(ops, { sync: true });
}

/**
 * Table files LevelDB keeps open (its default is 1000). LevelDB memory-maps the tables it holds
 * open, so on a 10M-entry log (about 9,000 tables of 2 MiB) the default let the server's resident
 * set grow by hundreds of MB of mapped table pages while serving proofs (P5 measured 429 MB
 * file-backed). A smaller table cache bounds that; a table outside it is reopened on demand.
 */
const MAX_OPEN_FILES = 64;
/** Free space LevelDB needs beyond its write-ahead logs to reopen (a new manifest and log). */
const REOPEN_MARGIN_BYTES = 1024 * 1024;

/** The newest entry bundle: its index, how many entries it holds, and its stored value. */
interface NewestBundle {
  readonly index: number;
  readonly width: number;
  readonly value: Uint8Array;
}

/** Keys to read together, and where each value goes. */
interface LookupBatch {
  readonly keys: Buffer[];
  readonly replies: { resolve(value: Buffer | undefined): void; reject(error: unknown): void }[];
}

export class LevelStore implements LogStore {
  /** A test's injected fault (injectFault); undefined, and never looked at further, in production. */
  private fault: { spec: StoreFault; remaining: number } | undefined;
  /**
   * A write failed, and LevelDB must be reopened before the next one. After a failed write its
   * write-ahead log may end in a torn record its writer does not know about: later batches land
   * after it and are dropped when LevelDB next replays the log, although each was synced (seen on a
   * full tmpfs: every batch acknowledged after the ENOSPC was gone at the next open). A failed fsync
   * also leaves LevelDB refusing every later write. Reopening replays the intact records into a
   * fresh log and clears both. Reads keep working meanwhile: the memtable holds only whole batches.
   */
  private unsettled = false;
  /** The reopen under way; reads and writes wait for it. */
  private reopening: Promise<void> | undefined;
  /** Set by each reopen: the next commit first checks that the durable tree head is the one it extends. */
  private reopened = false;
  /** Writes in flight; a reopen waits until they are done. */
  private writing = 0;
  private idle: (() => void)[] = [];
  /** The last batch or put in line (see `write`). */
  private logWrites: Promise<unknown> = Promise.resolve();
  /**
   * The newest entry bundle as the last pass wrote it, so that the next pass extends it without
   * reading it back. Checked against the pass's first index before use (storedBundle), and dropped
   * at every reopen: a failed pass may have written it after all.
   */
  private newestBundle: NewestBundle | undefined;
  /** The destroyed data keys of a shred are still to be compacted out of the files (a compaction failed). */
  private dataKeysToCompact = false;
  private closed = false;
  /** Leaf-hash lookups waiting for the next `getMany` (see findLeafIndex). */
  private leafLookups: LookupBatch | undefined;

  private constructor(
    private readonly db: Db,
    private readonly path: string,
    private readonly masterKey: MasterKey | undefined,
    private keyring: Keyring | undefined,
  ) {}

  /**
   * For tests: makes the matching writes to LevelDB fail (StoreFault) until `clearFault` or until
   * `times` writes have failed. Replaces any earlier fault.
   */
  injectFault(fault: StoreFault): void {
    this.fault = { spec: fault, remaining: fault.times ?? Infinity };
  }

  clearFault(): void {
    this.fault = undefined;
  }

  /**
   * Every write to LevelDB goes through here. Writes that append to LevelDB's write-ahead log
   * (batches, puts) go one at a time: one that LevelDB took while another failed could land after a
   * torn record (see `unsettled`). Compactions write no log record and run alongside.
   */
  private write<T>(kind: StoreWrite, op: () => Promise<T>): Promise<T> {
    if (kind === 'compact') return this.writeNow(kind, op);
    const turn = this.logWrites.then(() => this.writeNow(kind, op));
    this.logWrites = turn.catch(() => undefined);
    return turn;
  }

  /**
   * After a failed write, reopens LevelDB first (see `unsettled`). A failure is classified
   * (StorageFailure) and starts a reopen at once, so that what the store reads next is what is on disk.
   */
  private async writeNow<T>(kind: StoreWrite, op: () => Promise<T>): Promise<T> {
    try {
      while (this.unsettled) await this.reopen();
    } catch (error) {
      throw storageFailure(error);
    }
    // No await between the check above and this count: a reopen waits for every counted write.
    let failure: unknown;
    this.writing += 1;
    try {
      if (this.fault === undefined) return await op();
      const injected = this.strike(kind);
      if (injected === undefined) return await op();
      if (injected.landed) await op();
      throw injected.error;
    } catch (error) {
      failure = error;
    } finally {
      this.writing -= 1;
      if (this.writing === 0) for (const wake of this.idle.splice(0)) wake();
    }
    this.unsettled = true;
    const classified = storageFailure(failure);
    // Best effort now; if it cannot be done yet (the disk still full), the next write retries it.
    await this.reopen().catch(() => undefined);
    throw classified;
  }

  /** The injected fault this write meets, if any (and counts it). */
  private strike(kind: StoreWrite): { error: Error; landed: boolean } | undefined {
    const fault = this.fault!;
    if (fault.spec.writes !== undefined && !fault.spec.writes.includes(kind)) return undefined;
    if (--fault.remaining <= 0) this.fault = undefined;
    return { error: errnoError(fault.spec.code), landed: fault.spec.landed ?? false };
  }

  /** Reads wait for a reopen under way; if LevelDB is closed by one that failed, they try again. */
  private async settleForRead(): Promise<void> {
    if (this.reopening) await this.reopening.catch(() => undefined);
    if (this.db.status === 'open') return;
    try {
      await this.reopen();
    } catch (error) {
      throw new LogError('storage', `the store is unavailable after a failed write: ${storageFailure(error).message}; retry shortly`, 1);
    }
  }

  private reopen(): Promise<void> {
    this.reopening ??= (async () => {
      while (this.writing > 0) await new Promise<void>((wake) => this.idle.push(wake));
      if (this.closed) throw new Error('the store is closed');
      if (!this.unsettled) return;
      await this.checkRoomToReopen();
      if (this.db.status === 'open') await this.db.close();
      await this.db.open();
      // The data keys a failed pass created or destroyed may be on disk after all (see `reopened`):
      // the keyring forgets what it cached and reads them again.
      if (this.masterKey !== undefined) this.keyring = new Keyring(this.db, this.masterKey);
      this.newestBundle = undefined;
      this.unsettled = false;
      this.reopened = true;
    })().finally(() => {
      this.reopening = undefined;
    });
    return this.reopening;
  }

  /**
   * Reopening replays the write-ahead logs into a new table, which needs about their size in free
   * space. On a disk still full it would fail and leave LevelDB closed, failing reads too: so while
   * there is not that much room, the store stays open for reads and writes keep failing.
   */
  private async checkRoomToReopen(): Promise<void> {
    let logBytes = 0;
    for (const name of await readdir(this.path)) if (name.endsWith('.log')) logBytes += (await stat(join(this.path, name))).size;
    const fs = await statfs(this.path);
    const free = fs.bavail * fs.bsize;
    if (free < logBytes + REOPEN_MARGIN_BYTES) {
      throw new StorageFailure(`the disk is full (ENOSPC): ${free} bytes free, recovering needs about ${logBytes + REOPEN_MARGIN_BYTES}`, 'ENOSPC', `statfs ${this.path}`);
    }
  }

  /**
   * Opens (creating if needed) the LevelDB at `path`. Fails if another process has it open, and if
   * `masterKey` is not the one the log was created with. Without `masterKey` everything but records
   * works (tokens, the tree): records are sealed under keys the master key wraps.
   */
  static async open(path: string, masterKey?: MasterKey): Promise<LevelStore> {
    const db: Db = new Level<Buffer, Buffer>(path, { keyEncoding: 'buffer', valueEncoding: 'buffer', maxOpenFiles: MAX_OPEN_FILES });
    try {
      await db.open();
    } catch (e) {
      // LevelDB's own reason (a damaged CURRENT or MANIFEST, say) is in the cause; the lock error
      // keeps its shape for openStore's advice.
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED' || cause?.message === undefined) throw e;
      throw new Error(`store is damaged or unreadable: LevelDB could not open ${path}: ${cause.message}`, { cause: e });
    }
    try {
      const check = await db.get(MASTER_CHECK_KEY).catch((e: Error) => {
        throw new Error(`store is damaged or unreadable: LevelDB could not read ${path}: ${e.message}`, { cause: e });
      });
      if (masterKey !== undefined && check !== undefined && !masterKeyMatches(masterKey, check)) {
        throw new Error('the master key is not the one this log was created with (its records are encrypted under another key); give the right --master-key FILE or SEALTRAIL_MASTER_KEY');
      }
      const meta = await db.get(LOG_META_KEY);
      if (masterKey !== undefined && check === undefined && meta !== undefined) {
        throw new Error('this log was created before encryption at rest (its records are in the clear); this version does not encrypt an existing log: export it and start a new one');
      }
      if (meta !== undefined) {
        const decoded = decodeMeta(meta);
        if (decoded.layout === 1) await migrateToBundles(db, decoded);
      }
    } catch (e) {
      await db.close();
      throw e;
    }
    return new LevelStore(db, path, masterKey, masterKey === undefined ? undefined : new Keyring(db, masterKey));
  }

  /** True if the log's records are encrypted at rest (it was created with a master key). */
  async isEncrypted(): Promise<boolean> {
    if (this.unsettled) await this.settleForRead();
    return (await this.db.get(MASTER_CHECK_KEY)) !== undefined;
  }

  async readMeta(): Promise<LogMeta | undefined> {
    if (this.unsettled) await this.settleForRead();
    const value = await this.db.get(LOG_META_KEY);
    return value === undefined ? undefined : decodeMeta(value);
  }

  async readHead(): Promise<TreeHead | undefined> {
    if (this.unsettled) await this.settleForRead();
    const value = await this.db.get(STATE_KEY);
    return value === undefined ? undefined : decodeHead(value);
  }

  async initialise(meta: Omit<LogMeta, 'layout'>, head: TreeHead): Promise<void> {
    if ((await this.db.get(LOG_META_KEY)) !== undefined) throw new Error('a log already exists in this store');
    if (this.masterKey === undefined) throw new Error('a new log needs a master key: its records are encrypted at rest');
    const masterKey = this.masterKey;
    await this.write('batch', () =>
      this.db.batch(
        [
          { type: 'put', key: LOG_META_KEY, value: encodeMeta({ ...meta, layout: LAYOUT }) },
          { type: 'put', key: STATE_KEY, value: encodeHead(head) },
          { type: 'put', key: MASTER_CHECK_KEY, value: Buffer.from(masterKeyCheck(masterKey)) },
        ],
        { sync: true },
      ),
    );
  }

  async commit(pass: PassWrite): Promise<void> {
    const keyring = needKeyring(this.keyring);
    // The keyring reads the store below, before the batch's own turn to reopen LevelDB comes.
    if (this.unsettled) await this.settleForRead();
    // Data keys created (a tenant's first record) or destroyed (a shred) by this pass join its batch,
    // and the keyring sees them only once the batch is durable.
    const pending = new PendingKeys();
    for (const shred of pass.shreds ?? []) await keyring.shred(shred.tenant, shred.erasureIndex, pending);
    const shredded = shreddedBefore(pass.shreds ?? []);
    const ops: BatchOp[] = [];
    const bundle = await this.treeOps(pass, ops);
    for (let i = 0; i < pass.leafInputs.length; i++) {
      const index = pass.firstIndex + i;
      const ownEntry = leafKind(pass.leafInputs[i]!) !== 'record';
      const record = encodeRecord(keyring, pending, index, ownEntry ? pass.records[i]! : shredded(index, pass.records[i]!), ownEntry);
      ops.push({ type: 'put', key: recordKey(index), value: record instanceof Buffer ? record : await record });
      const eventId = storedString(pass.records[i]!, 'event_id');
      if (eventId !== undefined) ops.push({ type: 'put', key: eventIdKey(eventId, index), value: EMPTY });
    }
    // Erasures: the target record's value is overwritten in the same batch as the erasure entry.
    for (const rewrite of pass.rewrites ?? []) {
      ops.push({ type: 'put', key: recordKey(rewrite.index), value: await encodeRecord(keyring, pending, rewrite.index, shredded(rewrite.index, rewrite.fields)) });
    }
    for (const { submitter, key, record } of pass.idempotency) {
      const value = Buffer.allocUnsafe(40);
      writeUint64(value, 0, record.index);
      value.set(record.requestDigest, 8);
      ops.push({ type: 'put', key: idempotencyKey(submitter, key), value });
    }
    ops.push(...pending.ops);
    await this.writePass(pass.firstIndex, ops);
    // The pass is durable from here: nothing below may fail commit, or the sequencer would take the
    // pass for unwritten and give its indices to the next one.
    keyring.promote(pending);
    this.newestBundle = bundle;
    if (pass.shreds !== undefined && pass.shreds.length > 0) this.dataKeysToCompact = true;
    if (this.dataKeysToCompact) await this.compactDataKeys();
  }

  /**
   * The tree half of a pass on its own (TreeWrite: no records), in one synced batch: what the
   * sequencer's benchmark P6 measures for pre-built leaves. A log that holds entries without
   * records fails its start-up checks, so nothing but that benchmark and its tests calls this.
   */
  async appendLeaves(pass: TreeWrite): Promise<void> {
    if (this.unsettled) await this.settleForRead();
    const ops: BatchOp[] = [];
    const bundle = await this.treeOps(pass, ops);
    await this.writePass(pass.firstIndex, ops);
    this.newestBundle = bundle;
  }

  /**
   * Puts a pass's tree half into `ops`: entry bundles, leaf-hash index, changed tiles, and the tree
   * head, which is the commit point readers and start-up trust. Returns the newest entry bundle.
   */
  private async treeOps(pass: TreeWrite, ops: BatchOp[]): Promise<NewestBundle | undefined> {
    const bundle = await this.bundleOps(pass.firstIndex, pass.leafInputs, ops);
    for (let i = 0; i < pass.leafHashes.length; i++) {
      ops.push({ type: 'put', key: leafHashKey(pass.leafHashes[i]!), value: encodeIndex(pass.firstIndex + i) });
    }
    for (const tile of pass.tiles) {
      ops.push({ type: 'put', key: tileKey(tile.level, tile.index), value: asBuffer(tile.hashes) });
    }
    ops.push({ type: 'put', key: STATE_KEY, value: encodeHead(pass.head) });
    return bundle;
  }

  /** Writes a pass's batch, synced, in its turn (see `write`). */
  private async writePass(firstIndex: number, ops: BatchOp[]): Promise<void> {
    await this.write('batch', async () => {
      if (this.reopened) {
        // LevelDB was reopened after a failed write, and a failed pass may have reached the disk all
        // the same (a failed fsync cannot tell): this pass, built on the head before it, must then
        // not overwrite it. The sequencer reloads the stored head after a failed pass.
        const stored = await this.db.get(STATE_KEY);
        const size = stored === undefined ? undefined : decodeHead(stored).size;
        if (size !== firstIndex) {
          throw new StorageFailure(
            `the stored tree head is at size ${String(size)}, not ${firstIndex} as this pass expects (a failed pass reached the disk after all)`,
            undefined,
            'tree head moved',
          );
        }
        this.reopened = false;
      }
      await syncedBatch(this.db, ops);
    });
  }

  /**
   * The destroyed keys' wrapped bytes leave the files (write-ahead log and tables), as erased values
   * do (compactRecord): only then are the tenant's records unreadable for good. If the compaction
   * fails, the pass that destroyed them stands; it is retried after each later pass and at close.
   */
  private async compactDataKeys(): Promise<void> {
    try {
      await this.write('compact', () => compactRange(this.db, DATA_KEY_RANGE.gte, DATA_KEY_RANGE.lt));
      this.dataKeysToCompact = false;
    } catch {
      // Retried later (above); the shred itself is durable.
    }
  }

  async readTile(level: number, index: number): Promise<Uint8Array | undefined> {
    if (this.unsettled) await this.settleForRead();
    return this.db.get(tileKey(level, index));
  }

  /**
   * Puts the entry bundles `leafInputs` (entries from `firstIndex` on) extend into `ops`, and returns
   * the newest of them as it will stand once they are written. A pass that starts inside a bundle
   * extends it as stored: from `newestBundle` when that is the bundle and width it starts at (the
   * usual case: the previous pass wrote it), else read back from the store.
   */
  private async bundleOps(firstIndex: number, leafInputs: readonly Uint8Array[], ops: BatchOp[]): Promise<NewestBundle | undefined> {
    let newest: NewestBundle | undefined;
    for (let i = 0; i < leafInputs.length; ) {
      const index = Math.floor((firstIndex + i) / BUNDLE_WIDTH);
      const position = (firstIndex + i) % BUNDLE_WIDTH;
      const take = Math.min(BUNDLE_WIDTH - position, leafInputs.length - i);
      const prefix = position === 0 ? undefined : await this.storedBundle(index, position);
      const value = appendToBundle(prefix, leafInputs, i, i + take);
      ops.push({ type: 'put', key: bundleKey(index), value });
      newest = { index, width: position + take, value };
      i += take;
    }
    return newest;
  }

  /** Entry bundle `index`, which must hold exactly `width` entries: the start of the pass's tree. */
  private async storedBundle(index: number, width: number): Promise<Uint8Array> {
    const cached = this.newestBundle;
    if (cached !== undefined && cached.index === index && cached.width === width) return cached.value;
    const stored = await this.db.get(bundleKey(index));
    const found = stored === undefined ? 0 : bundleWidth(stored, index);
    if (found !== width) throw new Error(`store is damaged: entry bundle ${index} holds ${found} entries, the tree head implies ${width}`);
    return stored!;
  }

  async readEntry(index: number): Promise<Uint8Array | undefined> {
    if (this.unsettled) await this.settleForRead();
    const n = Math.floor(index / BUNDLE_WIDTH);
    const bundle = await this.db.get(bundleKey(n));
    return bundle === undefined ? undefined : bundleEntry(bundle, n, index % BUNDLE_WIDTH);
  }

  async readEntries(start: number, count: number): Promise<Uint8Array[]> {
    if (this.unsettled) await this.settleForRead();
    if (count <= 0) return [];
    const first = Math.floor(start / BUNDLE_WIDTH);
    const last = Math.floor((start + count - 1) / BUNDLE_WIDTH);
    const keys: Buffer[] = [];
    for (let n = first; n <= last; n++) keys.push(bundleKey(n));
    const bundles = await this.db.getMany(keys);
    const out: Uint8Array[] = [];
    for (let b = 0; b < bundles.length; b++) {
      const bundle = bundles[b];
      if (bundle === undefined) break;
      const leaves = splitBundle(bundle, first + b);
      const from = b === 0 ? start % BUNDLE_WIDTH : 0;
      for (let i = from; i < leaves.length && out.length < count; i++) out.push(leaves[i]!);
      // Only the newest bundle is short: the log ends there.
      if (leaves.length < BUNDLE_WIDTH) break;
    }
    return out;
  }

  async readEntryBundle(index: number, width: number): Promise<Uint8Array | undefined> {
    if (this.unsettled) await this.settleForRead();
    const bundle = await this.db.get(bundleKey(index));
    return bundle === undefined ? undefined : bundlePrefix(bundle, index, width);
  }

  async compactRecord(index: number): Promise<void> {
    // LevelDB's CompactRange first flushes the memtable (so the write-ahead log holding old values is
    // dropped), then merges every table overlapping the range down to the last level, keeping only
    // the newest version of each key: afterwards the erased values are in no file of the store.
    // `level` is classic-level on Node; its typings omit compactRange, which classic-level has.
    await this.write('compact', () => compactRange(this.db, recordKey(index), recordKey(index + 1)));
  }

  async readRecord(index: number): Promise<StoredRecordField[] | undefined> {
    if (this.unsettled) await this.settleForRead();
    const value = await this.db.get(recordKey(index));
    return value === undefined ? undefined : decodeRecord(this.keyring, index, value);
  }

  async findLeafIndex(leafHash: Uint8Array): Promise<number | undefined> {
    if (this.unsettled) await this.settleForRead();
    const value = await this.lookUpLeafHash(leafHashKey(leafHash));
    return value === undefined ? undefined : readUint64(value, 0);
  }

  /**
   * `db.get(key)`, except that the lookups of one turn of the event loop (get-proof-by-hash requests
   * read from many connections at once) go to LevelDB together, in one `getMany` when the loop
   * reaches its check phase. Each `get` costs the main thread a snapshot, a thread-pool job and a
   * promise of its own, which contend for LevelDB's lock with the reads in flight: under 64
   * concurrent lookups on the 1M-entry P3 log, 13 to 20 µs of main-thread time each, against 5 to 8
   * µs in batches of 8 to 16 (measured). The reads stay off the main thread. The batch reads one
   * snapshot taken a little later than each `get` would have been: the index only ever gains keys,
   * and a leaf found beyond the tree asked about is refused as unknown either way.
   */
  private lookUpLeafHash(key: Buffer): Promise<Buffer | undefined> {
    const batch = this.leafLookups ?? this.startLookupBatch();
    batch.keys.push(key);
    return new Promise((resolve, reject) => batch.replies.push({ resolve, reject }));
  }

  private startLookupBatch(): LookupBatch {
    const batch: LookupBatch = { keys: [], replies: [] };
    this.leafLookups = batch;
    setImmediate(() => {
      this.leafLookups = undefined;
      // getMany is async: a closed store rejects, it does not throw.
      this.db.getMany(batch.keys).then(
        (values) => values.forEach((v, i) => batch.replies[i]!.resolve(v)),
        (error: unknown) => batch.replies.forEach((r) => r.reject(error)),
      );
    });
    return batch;
  }

  async readIdempotency(keys: readonly { submitter: string; key: string }[]): Promise<(IdempotencyRecord | undefined)[]> {
    if (this.unsettled) await this.settleForRead();
    if (keys.length === 0) return [];
    const values = await this.db.getMany(keys.map((k) => idempotencyKey(k.submitter, k.key)));
    return values.map((v) => (v === undefined ? undefined : { index: readUint64(v, 0), requestDigest: v.subarray(8, 40) }));
  }

  async findByEventId(eventId: string, limit: number): Promise<number[]> {
    if (this.unsettled) await this.settleForRead();
    const keys = await this.db.keys({ ...eventIdRange(eventId), limit }).all();
    return keys.map((k) => readUint64(k, 33));
  }

  async readJobState(job: string): Promise<Uint8Array | undefined> {
    if (this.unsettled) await this.settleForRead();
    return this.db.get(jobStateKey(job));
  }

  async putJobState(job: string, state: Uint8Array): Promise<void> {
    await this.write('put', () => this.db.put(jobStateKey(job), asBuffer(state), { sync: true }));
  }

  async putPrincipal(tokenHash: Uint8Array, principal: Principal): Promise<void> {
    await this.write('put', () => this.db.put(tokenKey(tokenHash), encodePrincipal(principal), { sync: true }));
  }

  async listPrincipals(): Promise<StoredPrincipal[]> {
    if (this.unsettled) await this.settleForRead();
    const out: StoredPrincipal[] = [];
    for await (const [key, value] of this.db.iterator(TOKEN_RANGE)) {
      out.push({ tokenHash: key.subarray(1), principal: decodePrincipal(value) });
    }
    return out;
  }

  async deletePrincipals(tokenHashes: readonly Uint8Array[]): Promise<void> {
    await this.write('batch', () =>
      this.db.batch(
        tokenHashes.map((h) => ({ type: 'del' as const, key: tokenKey(h) })),
        { sync: true },
      ),
    );
  }

  async close(): Promise<void> {
    if (this.dataKeysToCompact) await this.compactDataKeys();
    await this.logWrites;
    if (this.reopening) await this.reopening.catch(() => undefined);
    this.closed = true;
    if (this.db.status === 'open') await this.db.close();
  }
}
