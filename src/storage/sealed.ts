/**
 * @module
 * Record values at rest (spec/formats.md §20): the tenants' data keys (created, wrapped, cached,
 * shredded) and the sealed record encoding. Used by LevelStore only; callers of LogStore see
 * plaintext fields.
 *
 * A stored record (layout 2) is the dCBOR array `[2, key id, generation, sealed, clear]`:
 * - `clear` lists every field in record order: `[name, commitment]` when open, `[name, commitment,
 *   erasure index]` when erased. Commitments are salted hashes (PROTOCOL §2) and reveal nothing; they
 *   let a record whose data key was shredded still verify, as an erased one.
 * - `sealed` is AES-256-GCM (crypto.ts `seal`) under data key (key id, generation) of the dCBOR array
 *   `[[jcs, salt], …]` of the open fields, in the order of `clear`; associated data
 *   "sealtrail record v2" || uint64 entry index || dCBOR([key id, generation, clear]), so a value
 *   cannot be moved to another entry nor its clear part altered.
 */
import type { Level } from 'level';
import { DcborWriter, decodeDcbor, encodeDcbor, headLength } from '../record/cbor.js';
import type { Dcbor } from '../record/cbor.js';
import { fieldCommitment } from '../record/index.js';
import { utf8Length } from '../record/text.js';
import { newDataKey, open, sealInto, sealedLength, tenantKeyId, unwrapDataKey } from './crypto.js';
import type { MasterKey } from './crypto.js';
import { dataKeyKey, dataKeyRange, writeUint64 } from './keys.js';
import { isErased } from './types.js';
import type { StoredRecordField } from './types.js';

type Db = Level<Buffer, Buffer>;
export type BatchOp = { type: 'put'; key: Buffer; value: Buffer };

export const SEALED_LAYOUT = 2;

export interface DataKey {
  readonly keyId: Uint8Array;
  readonly generation: number;
  readonly key: Uint8Array;
}

/** A destroyed data key: the records it sealed read as erased by erasure entry `erasureIndex`. */
interface Shredded {
  readonly keyId: Uint8Array;
  readonly generation: number;
  readonly erasureIndex: number;
}

type Slot = DataKey | Shredded;
const isShredded = (slot: Slot): slot is Shredded => 'erasureIndex' in slot;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

function damaged(what: string): never {
  throw new Error(`store is damaged: ${what} has an unexpected shape`);
}

/** A stored slot value: `[wrapped key]`, or `["shredded", erasure index]` once destroyed. */
function decodeSlot(keyId: Uint8Array, generation: number, value: Uint8Array): { wrapped: Uint8Array } | Shredded {
  const decoded = decodeDcbor(value);
  if (Array.isArray(decoded) && decoded.length === 1 && decoded[0] instanceof Uint8Array) return { wrapped: decoded[0] };
  if (Array.isArray(decoded) && decoded.length === 2 && decoded[0] === 'shredded' && typeof decoded[1] === 'number') {
    return { keyId, generation, erasureIndex: decoded[1] };
  }
  return damaged('a data key');
}

/** Writes made by one pass that become visible to the keyring only once its batch is durable. */
export class PendingKeys {
  readonly ops: BatchOp[] = [];
  readonly slots = new Map<string, Slot>();
}

/** The tenants' data keys, unwrapped on first use and cached for the life of the store. */
export class Keyring {
  /** keyId hex → the tenant's newest slot. */
  private readonly newest = new Map<string, Slot>();
  /** keyId hex + generation → slot, for reads of older generations. */
  private readonly slots = new Map<string, Slot>();
  /** Tenant (DEFAULT_TENANT, or TENANT_PREFIX + name) → its key id; see keyIdOf. */
  private readonly keyIds = new Map<string, { readonly keyId: Uint8Array; readonly id: string }>();

  constructor(
    private readonly db: Db,
    private readonly master: MasterKey,
  ) {}

  /**
   * forWrite without waiting, when the key is already known (every record but a tenant's first
   * after a start or a shred); undefined otherwise. Saves the pass a few promises per record.
   */
  knownForWrite(tenant: string | undefined, pending: PendingKeys): DataKey | undefined {
    const { id } = this.keyIdOf(tenant);
    const slot = pending.slots.get(id) ?? this.newest.get(id);
    return slot !== undefined && !isShredded(slot) ? slot : undefined;
  }

  /**
   * The data key to seal a record of `tenant` with. A new key (the tenant's first, or the one after
   * a shred) is added to `pending`: its wrapped form goes into the same batch as the first record
   * sealed with it, so the key is durable exactly when that record is.
   */
  async forWrite(tenant: string | undefined, pending: PendingKeys): Promise<DataKey> {
    const { keyId, id } = this.keyIdOf(tenant);
    const slot = pending.slots.get(id) ?? (await this.newestSlot(keyId));
    if (slot !== undefined && !isShredded(slot)) return slot;
    const generation = slot === undefined ? 0 : slot.generation + 1;
    const { key, wrapped } = newDataKey(this.master, keyId, generation);
    const created: DataKey = { keyId, generation, key };
    pending.slots.set(id, created);
    pending.ops.push({ type: 'put', key: dataKeyKey(keyId, generation), value: asBuffer(encodeDcbor([wrapped])) });
    return created;
  }

  /**
   * Destroys `tenant`'s current data key in the pass's batch: its slot becomes a tombstone naming
   * the erasure entry, so its records read as erased. The tenant's next record gets a new key.
   */
  async shred(tenant: string, erasureIndex: number, pending: PendingKeys): Promise<void> {
    const { keyId, id } = this.keyIdOf(tenant);
    const slot = pending.slots.get(id) ?? (await this.newestSlot(keyId));
    const generation = slot === undefined ? 0 : isShredded(slot) ? slot.generation + 1 : slot.generation;
    pending.slots.set(id, { keyId, generation, erasureIndex });
    pending.ops.push({ type: 'put', key: dataKeyKey(keyId, generation), value: asBuffer(encodeDcbor(['shredded', erasureIndex])) });
  }

  /**
   * The tenant's key id (an HMAC under the master key) and its hex form, remembered: every record
   * sealed needs them, and computing them took about 3 µs a record (measured).
   */
  private keyIdOf(tenant: string | undefined): { readonly keyId: Uint8Array; readonly id: string } {
    const cacheKey = tenant === undefined ? DEFAULT_TENANT : TENANT_PREFIX + tenant;
    let known = this.keyIds.get(cacheKey);
    if (known === undefined) {
      const keyId = tenantKeyId(this.master, tenant);
      known = { keyId, id: hex(keyId) };
      // Tenants are few; the bound only keeps a flood of one-off tenant names from growing it forever.
      if (this.keyIds.size >= MAX_CACHED_KEY_IDS) this.keyIds.clear();
      this.keyIds.set(cacheKey, known);
    }
    return known;
  }

  /** After the pass's batch is durable: the keys it created or destroyed take effect. */
  promote(pending: PendingKeys): void {
    for (const [id, slot] of pending.slots) {
      this.newest.set(id, slot);
      this.slots.set(`${id}:${slot.generation}`, slot);
    }
  }

  private async newestSlot(keyId: Uint8Array): Promise<Slot | undefined> {
    const id = hex(keyId);
    const cached = this.newest.get(id);
    if (cached) return cached;
    const [found] = await this.db.iterator({ ...dataKeyRange(keyId), reverse: true, limit: 1 }).all();
    if (!found) return undefined;
    const slot = this.unwrap(keyId, found[0].readUInt32BE(33), found[1]);
    this.newest.set(id, slot);
    return slot;
  }

  private async slot(keyId: Uint8Array, generation: number): Promise<Slot> {
    const id = `${hex(keyId)}:${generation}`;
    const cached = this.slots.get(id);
    if (cached) return cached;
    const value = await this.db.get(dataKeyKey(keyId, generation));
    if (value === undefined) damaged(`the data key of a record (generation ${generation})`);
    const slot = this.unwrap(keyId, generation, value);
    this.slots.set(id, slot);
    return slot;
  }

  private unwrap(keyId: Uint8Array, generation: number, value: Uint8Array): Slot {
    const decoded = decodeSlot(keyId, generation, value);
    if ('erasureIndex' in decoded) return decoded;
    const key = unwrapDataKey(this.master, keyId, generation, decoded.wrapped);
    // The master key was checked at open, so a key that does not unwrap was altered.
    if (!key) throw new Error('store is damaged: a data key does not unwrap under the master key (altered or moved)');
    return { keyId, generation, key };
  }

  /** The stored form of entry `index`'s record, sealed under `dataKey`. */
  sealRecord(index: number, fields: readonly StoredRecordField[], dataKey: DataKey): Buffer {
    return asBuffer(encodeSealedRecord(index, fields, dataKey));
  }

  /** Opens a record `sealRecord` made; a record whose key was shredded reads as wholly erased. */
  async openRecord(index: number, decoded: readonly Dcbor[]): Promise<StoredRecordField[]> {
    const [, keyId, generation, sealed, clear] = decoded;
    if (!(keyId instanceof Uint8Array) || typeof generation !== 'number' || !(sealed instanceof Uint8Array) || !Array.isArray(clear)) damaged('a record');
    const fields = (clear as readonly Dcbor[]).map((c) => {
      if (!Array.isArray(c) || (c.length !== 2 && c.length !== 3) || typeof c[0] !== 'string' || !(c[1] instanceof Uint8Array)) damaged('a record');
      return c as [string, Uint8Array, number?];
    });
    const slot = await this.slot(keyId, generation);
    if (isShredded(slot)) {
      return fields.map(([name, commitment, erasureIndex]) => ({ name, commitment, erasureIndex: erasureIndex ?? slot.erasureIndex }));
    }
    const plaintext = open(slot.key, sealed, recordAd(index, keyId, generation, clear as Dcbor[]));
    if (!plaintext) throw new Error(`store is damaged: the record of entry ${index} does not decrypt (altered, or moved from another entry)`);
    const secret = decodeDcbor(plaintext);
    if (!Array.isArray(secret)) damaged('a record');
    let next = 0;
    return fields.map(([name, commitment, erasureIndex]): StoredRecordField => {
      if (erasureIndex !== undefined) return { name, commitment, erasureIndex };
      const pair = (secret as readonly Dcbor[])[next++];
      if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !(pair[1] instanceof Uint8Array)) damaged('a record');
      return { name, jcs: pair[0] as string, salt: pair[1] as Uint8Array };
    });
  }
}

const RECORD_AD = Buffer.from('sealtrail record v2\u0000', 'latin1');
/** Keys of Keyring.keyIds: a tenant name cannot collide with the default tenant's. */
const DEFAULT_TENANT = '0';
const TENANT_PREFIX = '1';
const MAX_CACHED_KEY_IDS = 10_000;

// RFC 8949 §3.1 major types.
const MAJOR_UINT = 0;
const MAJOR_BYTES = 2;
const MAJOR_ARRAY = 4;

/**
 * `encodeDcbor([SEALED_LAYOUT, keyId, generation, seal(key, encodeDcbor(secret), recordAd(…)), clear])`,
 * byte for byte (sealed.test.ts checks it against that), written in one pass with two allocations
 * (the value, from Node's Buffer pool, and the cipher's output). The clear part, which both the
 * value and the associated data hold, is encoded once, straight into the value; the associated
 * data and the plaintext are laid out in a reused scratch buffer, which is wiped once sealed; the
 * cipher writes into the value. Through encodeDcbor, concatenations and a typed array per part,
 * sealing the benchmark's 13-field record took 51 µs; this way it takes 11 µs (measured in process).
 */
export function encodeSealedRecord(index: number, fields: readonly StoredRecordField[], dataKey: DataKey): Uint8Array {
  const { keyId, generation } = dataKey;
  const n = fields.length;
  const commitments = new Array<Uint8Array>(n);
  const nameLengths = new Array<number>(n);
  const jcsLengths = new Array<number>(n);
  let clearBytes = headLength(n);
  let open = 0;
  let secretBytes = 0;
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    const nameLength = utf8Length(f.name);
    nameLengths[i] = nameLength;
    if (isErased(f)) {
      commitments[i] = f.commitment;
      clearBytes += 1 + headLength(nameLength) + nameLength + headLength(f.commitment.length) + f.commitment.length + headLength(f.erasureIndex);
      continue;
    }
    const commitment = f.commitment ?? fieldCommitment(f.name, f.jcs, f.salt);
    commitments[i] = commitment;
    clearBytes += 1 + headLength(nameLength) + nameLength + headLength(commitment.length) + commitment.length;
    const jcsLength = utf8Length(f.jcs);
    jcsLengths[i] = jcsLength;
    secretBytes += 1 + headLength(jcsLength) + jcsLength + headLength(f.salt.length) + f.salt.length;
    open++;
  }
  secretBytes += headLength(open);
  const sealedBytes = sealedLength(secretBytes);

  // The value, with room left for the sealed bytes, then the clear part.
  const value = DcborWriter.into(
    Buffer.allocUnsafe(1 + 1 + headLength(keyId.length) + keyId.length + headLength(generation) + headLength(sealedBytes) + sealedBytes + clearBytes),
  );
  value.head(MAJOR_ARRAY, 5);
  value.uint(SEALED_LAYOUT);
  value.byteString(keyId);
  value.uint(generation);
  value.head(MAJOR_BYTES, sealedBytes);
  const sealedAt = value.claim(sealedBytes).offset;
  const clearAt = value.length;
  value.head(MAJOR_ARRAY, n);
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    const erased = isErased(f);
    value.head(MAJOR_ARRAY, erased ? 3 : 2);
    value.textOfLength(f.name, nameLengths[i]!);
    value.byteString(commitments[i]!);
    if (erased) value.uint(f.erasureIndex);
  }
  const out = value.finish();

  // Associated data: label || uint64 index || dCBOR([keyId, generation, clear]); then the plaintext.
  const scratch = sealScratch;
  scratch.reset();
  scratch.raw(RECORD_AD);
  const position = scratch.claim(8);
  writeUint64(asBuffer(position.buffer), position.offset, index);
  scratch.head(MAJOR_ARRAY, 3);
  scratch.byteString(keyId);
  scratch.uint(generation);
  scratch.raw(out.subarray(clearAt));
  const adBytes = scratch.length;
  scratch.head(MAJOR_ARRAY, open);
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    if (isErased(f)) continue;
    scratch.head(MAJOR_ARRAY, 2);
    scratch.textOfLength(f.jcs, jcsLengths[i]!);
    scratch.byteString(f.salt);
  }
  const laidOut = scratch.view();
  sealInto(dataKey.key, laidOut.subarray(adBytes), laidOut.subarray(0, adBytes), out, sealedAt);
  // The plaintext (values and salts) does not outlive the call in the scratch buffer.
  laidOut.fill(0);
  if (laidOut.length > MAX_SCRATCH_BYTES) sealScratch = new DcborWriter(SCRATCH_BYTES);
  return out;
}

/** Where encodeSealedRecord lays out the associated data and the plaintext; grows for large records. */
const SCRATCH_BYTES = 4096;
const MAX_SCRATCH_BYTES = 65536;
let sealScratch = new DcborWriter(SCRATCH_BYTES);

function recordAd(index: number, keyId: Uint8Array, generation: number, clear: Dcbor[]): Uint8Array {
  const position = Buffer.allocUnsafe(8);
  writeUint64(position, 0, index);
  return Buffer.concat([RECORD_AD, position, encodeDcbor([keyId, generation, clear])]);
}
