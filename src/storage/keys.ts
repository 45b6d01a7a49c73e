/**
 * @module
 * The LevelDB key space. One byte of prefix per kind of value, then fixed-width big-endian numbers,
 * so that keys sort in log order and a range read is a contiguous scan.
 *
 * | prefix | key                              | value                                       |
 * |--------|----------------------------------|---------------------------------------------|
 * | `m`    | `m` + name                       | metadata: `state` (tree head), `log`         |
 * | `b`    | `b` + uint64 N                   | entry bundle N: leaf_inputs of [256N, 256N+w) (bundles.ts) |
 * | `e`    | `e` + uint64 index               | layout 1 only: one leaf_input (migrated to `b` at open) |
 * | `t`    | `t` + uint8 tile level + uint64 N | the hashes of tile (L, N), 32 bytes each    |
 * | `r`    | `r` + uint64 index               | record values and salts (erasable)          |
 * | `h`    | `h` + 32-byte leaf hash          | uint64 index                                |
 * | `i`    | `i` + SHA-256(submitter 0x00 key) | idempotency: uint64 index + request digest  |
 * | `k`    | `k` + 32-byte token hash         | the token's principal                       |
 * | `x`    | `x` + SHA-256(event_id) + uint64 index | empty: the entry's record has that event_id |
 * | `d`    | `d` + 32-byte tenant key id + uint32 generation | the tenant's data key, wrapped; or its shred tombstone |
 * | `m`    | `mkeycheck`                      | HMAC-SHA256(master key, label): refuses a wrong master key |
 * | `m`    | `mjob:` + job name               | a background job's own state, e.g. `mjob:retention` (its cursors) |
 */

import { createHash } from 'node:crypto';

const ENTRY = 0x65; // 'e'
const BUNDLE = 0x62; // 'b'
const TILE = 0x74; // 't'
const RECORD = 0x72; // 'r'
const LEAF_HASH = 0x68; // 'h'
const IDEMPOTENCY = 0x69; // 'i'
const TOKEN = 0x6b; // 'k'
const EVENT_ID = 0x78; // 'x'
const DATA_KEY = 0x64; // 'd'

export const STATE_KEY = Buffer.from('mstate');
export const LOG_META_KEY = Buffer.from('mlog');
export const MASTER_CHECK_KEY = Buffer.from('mkeycheck');

/** The state a background job keeps between runs (LogStore.readJobState), e.g. the retention cursors. */
export function jobStateKey(job: string): Buffer {
  return Buffer.from(`mjob:${job}`, 'utf8');
}

export function writeUint64(target: Buffer, offset: number, value: number): void {
  target.writeUInt32BE(Math.floor(value / 0x1_0000_0000), offset);
  target.writeUInt32BE(value >>> 0, offset + 4);
}

export function readUint64(source: Uint8Array, offset: number): number {
  const b = Buffer.from(source.buffer, source.byteOffset, source.length);
  const value = b.readUInt32BE(offset) * 0x1_0000_0000 + b.readUInt32BE(offset + 4);
  if (!Number.isSafeInteger(value)) throw new RangeError(`stored uint64 ${value} is beyond 2^53`);
  return value;
}

function indexedKey(prefix: number, index: number): Buffer {
  const key = Buffer.allocUnsafe(9);
  key[0] = prefix;
  writeUint64(key, 1, index);
  return key;
}

/** Layout 1's key of one leaf_input; read only to migrate a layout-1 store (level.ts). */
export const entryKey = (index: number): Buffer => indexedKey(ENTRY, index);
export const ENTRY_RANGE = { gte: Buffer.of(ENTRY), lt: Buffer.of(ENTRY + 1) };
export const bundleKey = (index: number): Buffer => indexedKey(BUNDLE, index);
export const recordKey = (index: number): Buffer => indexedKey(RECORD, index);

export function tileKey(level: number, index: number): Buffer {
  const key = Buffer.allocUnsafe(10);
  key[0] = TILE;
  key[1] = level;
  writeUint64(key, 2, index);
  return key;
}

export function leafHashKey(leafHash: Uint8Array): Buffer {
  const key = Buffer.allocUnsafe(33);
  key[0] = LEAF_HASH;
  key.set(leafHash, 1);
  return key;
}

/** Keys may be long (an event_id is any string), so the store keys them by a fixed-size hash. */
export function idempotencyKey(submitter: string, key: string): Buffer {
  const digest = createHash('sha256').update(submitter, 'utf8').update(Buffer.of(0)).update(key, 'utf8').digest();
  return Buffer.concat([Buffer.of(IDEMPOTENCY), digest]);
}

export function tokenKey(tokenHash: Uint8Array): Buffer {
  const key = Buffer.allocUnsafe(33);
  key[0] = TOKEN;
  key.set(tokenHash, 1);
  return key;
}

export const TOKEN_RANGE = { gte: Buffer.of(TOKEN), lt: Buffer.of(TOKEN + 1) };

/**
 * One key per entry whose record has a top-level string `event_id`: the prefix of a given event_id
 * is fixed-size whatever its length, and the entry index after it makes a range scan over the prefix
 * list every entry with that event_id in log order (several submitters may reuse one event_id).
 */
export function eventIdKey(eventId: string, index: number): Buffer {
  const key = Buffer.allocUnsafe(41);
  eventIdPrefix(eventId).copy(key);
  writeUint64(key, 33, index);
  return key;
}

/** The range holding every eventIdKey of `eventId`. */
export function eventIdRange(eventId: string): { gte: Buffer; lte: Buffer } {
  const prefix = eventIdPrefix(eventId);
  return { gte: prefix, lte: Buffer.concat([prefix, Buffer.alloc(8, 0xff)]) };
}

function eventIdPrefix(eventId: string): Buffer {
  return Buffer.concat([Buffer.of(EVENT_ID), createHash('sha256').update(eventId, 'utf8').digest()]);
}

/** A tenant's data key of one generation (spec/formats.md §20); `keyId` is 32 bytes (crypto.ts tenantKeyId). */
export function dataKeyKey(keyId: Uint8Array, generation: number): Buffer {
  const key = Buffer.allocUnsafe(37);
  key[0] = DATA_KEY;
  key.set(keyId, 1);
  key.writeUInt32BE(generation, 33);
  return key;
}

/** Every generation of one tenant's data keys. */
export function dataKeyRange(keyId: Uint8Array): { gte: Buffer; lte: Buffer } {
  return { gte: dataKeyKey(keyId, 0), lte: dataKeyKey(keyId, 0xffff_ffff) };
}

/** Every data key of every tenant. */
export const DATA_KEY_RANGE = { gte: Buffer.of(DATA_KEY), lt: Buffer.of(DATA_KEY + 1) };
