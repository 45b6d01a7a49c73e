/**
 * @module
 * LogStore on LevelDB (classic-level). Every pass is one `batch(..., { sync: true })`: LevelDB
 * appends the batch to its write-ahead log as a single record and fsyncs it before returning, so after
 * a crash it replays either the whole batch or none of it.
 */
import { Level } from 'level';
import { decodeDcbor, encodeDcbor } from '../record/cbor.js';
import type { Dcbor } from '../record/cbor.js';
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
} from './types.js';
import { isErased, storedString } from './types.js';
import {
  LOG_META_KEY,
  STATE_KEY,
  TOKEN_RANGE,
  entryKey,
  eventIdKey,
  eventIdRange,
  idempotencyKey,
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

function encodeMeta(meta: LogMeta): Buffer {
  return encode([meta.layout, meta.origin, meta.createdAt]);
}

function decodeMeta(value: Uint8Array): LogMeta {
  const [layout, origin, createdAt] = decodeArray(value, 'the log metadata', 3);
  if (layout !== 1) throw new Error(`store layout ${String(layout)} is not supported by this version (it reads layout 1)`);
  return { layout, origin: str(origin, 'the log metadata'), createdAt: num(createdAt, 'the log metadata') };
}

/** An open field is `[name, jcs text, salt]`; an erased one `[name, commitment bytes, erasure index]`. */
function encodeRecord(fields: readonly StoredRecordField[]): Buffer {
  return encode(fields.map((f) => (isErased(f) ? [f.name, f.commitment, f.erasureIndex] : [f.name, f.jcs, f.salt])));
}

function decodeRecord(value: Uint8Array): StoredRecordField[] {
  return decodeArray(value, 'a record').map((f): StoredRecordField => {
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


function encodeIndex(index: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeUint64(b, 0, index);
  return b;
}

export class LevelStore implements LogStore {
  private constructor(private readonly db: Db) {}

  /** Opens (creating if needed) the LevelDB at `path`. Fails if another process has it open. */
  static async open(path: string): Promise<LevelStore> {
    const db: Db = new Level<Buffer, Buffer>(path, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    return new LevelStore(db);
  }

  async readMeta(): Promise<LogMeta | undefined> {
    const value = await this.db.get(LOG_META_KEY);
    return value === undefined ? undefined : decodeMeta(value);
  }

  async readHead(): Promise<TreeHead | undefined> {
    const value = await this.db.get(STATE_KEY);
    return value === undefined ? undefined : decodeHead(value);
  }

  async initialise(meta: LogMeta, head: TreeHead): Promise<void> {
    if ((await this.db.get(LOG_META_KEY)) !== undefined) throw new Error('a log already exists in this store');
    await this.db.batch(
      [
        { type: 'put', key: LOG_META_KEY, value: encodeMeta(meta) },
        { type: 'put', key: STATE_KEY, value: encodeHead(head) },
      ],
      { sync: true },
    );
  }

  async commit(pass: PassWrite): Promise<void> {
    const ops: BatchOp[] = [];
    for (let i = 0; i < pass.leafInputs.length; i++) {
      const index = pass.firstIndex + i;
      ops.push({ type: 'put', key: entryKey(index), value: asBuffer(pass.leafInputs[i]!) });
      ops.push({ type: 'put', key: leafHashKey(pass.leafHashes[i]!), value: encodeIndex(index) });
      ops.push({ type: 'put', key: recordKey(index), value: encodeRecord(pass.records[i]!) });
      const eventId = storedString(pass.records[i]!, 'event_id');
      if (eventId !== undefined) ops.push({ type: 'put', key: eventIdKey(eventId, index), value: EMPTY });
    }
    // Erasures: the target record's value is overwritten in the same batch as the erasure entry.
    for (const rewrite of pass.rewrites ?? []) {
      ops.push({ type: 'put', key: recordKey(rewrite.index), value: encodeRecord(rewrite.fields) });
    }
    for (const { submitter, key, record } of pass.idempotency) {
      const value = Buffer.allocUnsafe(40);
      writeUint64(value, 0, record.index);
      value.set(record.requestDigest, 8);
      ops.push({ type: 'put', key: idempotencyKey(submitter, key), value });
    }
    for (const tile of pass.tiles) {
      ops.push({ type: 'put', key: tileKey(tile.level, tile.index), value: asBuffer(tile.hashes) });
    }
    // The tree head goes in the same batch: it is the commit point readers and start-up trust.
    ops.push({ type: 'put', key: STATE_KEY, value: encodeHead(pass.head) });
    await this.db.batch(ops, { sync: true });
  }

  async readTile(level: number, index: number): Promise<Uint8Array | undefined> {
    return this.db.get(tileKey(level, index));
  }

  async readEntry(index: number): Promise<Uint8Array | undefined> {
    return this.db.get(entryKey(index));
  }

  async readEntries(start: number, count: number): Promise<Uint8Array[]> {
    if (count <= 0) return [];
    return this.db.values({ gte: entryKey(start), lt: entryKey(start + count) }).all();
  }

  async compactRecord(index: number): Promise<void> {
    // LevelDB's CompactRange first flushes the memtable (so the write-ahead log holding old values is
    // dropped), then merges every table overlapping the range down to the last level, keeping only
    // the newest version of each key: afterwards the erased values are in no file of the store.
    // `level` is classic-level on Node; its typings omit compactRange, which classic-level has.
    const db = this.db as unknown as { compactRange(start: Buffer, end: Buffer): Promise<void> };
    await db.compactRange(recordKey(index), recordKey(index + 1));
  }

  async readRecord(index: number): Promise<StoredRecordField[] | undefined> {
    const value = await this.db.get(recordKey(index));
    return value === undefined ? undefined : decodeRecord(value);
  }

  async findLeafIndex(leafHash: Uint8Array): Promise<number | undefined> {
    const value = await this.db.get(leafHashKey(leafHash));
    return value === undefined ? undefined : readUint64(value, 0);
  }

  async readIdempotency(keys: readonly { submitter: string; key: string }[]): Promise<(IdempotencyRecord | undefined)[]> {
    if (keys.length === 0) return [];
    const values = await this.db.getMany(keys.map((k) => idempotencyKey(k.submitter, k.key)));
    return values.map((v) => (v === undefined ? undefined : { index: readUint64(v, 0), requestDigest: v.subarray(8, 40) }));
  }

  async findByEventId(eventId: string, limit: number): Promise<number[]> {
    const keys = await this.db.keys({ ...eventIdRange(eventId), limit }).all();
    return keys.map((k) => readUint64(k, 33));
  }

  async putPrincipal(tokenHash: Uint8Array, principal: Principal): Promise<void> {
    await this.db.put(tokenKey(tokenHash), encodePrincipal(principal), { sync: true });
  }

  async listPrincipals(): Promise<StoredPrincipal[]> {
    const out: StoredPrincipal[] = [];
    for await (const [key, value] of this.db.iterator(TOKEN_RANGE)) {
      out.push({ tokenHash: key.subarray(1), principal: decodePrincipal(value) });
    }
    return out;
  }

  async deletePrincipals(tokenHashes: readonly Uint8Array[]): Promise<void> {
    await this.db.batch(
      tokenHashes.map((h) => ({ type: 'del' as const, key: tokenKey(h) })),
      { sync: true },
    );
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
