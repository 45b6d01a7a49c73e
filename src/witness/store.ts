/**
 * @module
 * The witness's state in LevelDB (`DIR/db`): per origin, the latest cosigned checkpoint and, when
 * fork evidence was recorded, the refusal. Values are deterministic CBOR arrays, like the log's
 * store. Every write is one `batch(..., { sync: true })`: durable once it returns, all or nothing
 * after a crash. LevelDB has no compare-and-set, and parallel writes have no order: the caller
 * serialises read-check-write per origin (src/witness/witness.ts holds that lock).
 *
 * Keys: one prefix byte, then the origin in UTF-8 (the prefix is fixed-width, so no two
 * (prefix, origin) pairs share a key).
 *   'm'            meta: layout, witness name, verifier key, created-at
 *   'c' origin     the latest cosigned checkpoint
 *   't' origin     the latest cosignature timestamp (kept by `clear --reset`, so time never goes back)
 *   'r' origin     the refusal after fork evidence
 */
import { Level } from 'level';
import { decodeDcbor, encodeDcbor } from '../record/index.js';
import type { Dcbor } from '../record/index.js';

type Db = Level<Buffer, Buffer>;

/** The latest checkpoint a witness cosigned for one origin. */
export interface CosignedState {
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** The checkpoint note with only the log's verified signature lines (other lines are not ours to vouch for). */
  readonly logNote: string;
  /** Our cosignature line, `— <name> <base64>\n`. */
  readonly cosignature: string;
  /** The cosignature's timestamp, seconds since the epoch. */
  readonly cosignedAt: number;
}

/** Set when fork evidence was recorded: the log is refused until an operator clears it. */
export interface Refusal {
  readonly evidenceFile: string;
  readonly reason: string;
  /** When the evidence was recorded, milliseconds since the epoch. */
  readonly since: number;
}

export interface WitnessMeta {
  readonly layout: 1;
  readonly name: string;
  readonly verifierKey: string;
  readonly createdAt: number;
}

/** The cosigned checkpoint as served: the log's note with our cosignature appended. */
export function cosignedNote(state: CosignedState): string {
  return state.logNote + state.cosignature;
}

const META_KEY = Buffer.from('m');
const key = (prefix: 'c' | 't' | 'r', origin: string): Buffer => Buffer.concat([Buffer.from(prefix), Buffer.from(origin, 'utf8')]);
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
const encode = (value: Dcbor): Buffer => asBuffer(encodeDcbor(value));

function damaged(what: string): never {
  throw new Error(`witness store is damaged: ${what} has an unexpected shape`);
}

function decodeArray(value: Uint8Array, what: string, length: number): readonly Dcbor[] {
  let decoded: Dcbor;
  try {
    decoded = decodeDcbor(value);
  } catch {
    damaged(what);
  }
  if (!Array.isArray(decoded) || decoded.length !== length) damaged(what);
  return decoded as readonly Dcbor[];
}

const num = (v: Dcbor | undefined, what: string): number => (typeof v === 'number' ? v : damaged(what));
const str = (v: Dcbor | undefined, what: string): string => (typeof v === 'string' ? v : damaged(what));
const bytes = (v: Dcbor | undefined, what: string): Uint8Array => (v instanceof Uint8Array ? v : damaged(what));

export class WitnessStore {
  private constructor(private readonly db: Db) {}

  /** Opens (creating if needed) the LevelDB at `path`; it is locked against other processes. */
  static async open(path: string): Promise<WitnessStore> {
    const db: Db = new Level<Buffer, Buffer>(path, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    try {
      await db.open();
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new Error(`the witness store ${path} is in use by another process (a running witness serve or watch? stop it first)`);
      }
      throw error;
    }
    return new WitnessStore(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async readMeta(): Promise<WitnessMeta | undefined> {
    const value = await this.db.get(META_KEY);
    if (value === undefined) return undefined;
    const [layout, name, verifierKey, createdAt] = decodeArray(value, 'the witness metadata', 4);
    if (layout !== 1) throw new Error(`witness store layout ${String(layout)} is not supported by this version (it reads layout 1)`);
    return { layout, name: str(name, 'the metadata'), verifierKey: str(verifierKey, 'the metadata'), createdAt: num(createdAt, 'the metadata') };
  }

  async writeMeta(meta: WitnessMeta): Promise<void> {
    if ((await this.db.get(META_KEY)) !== undefined) throw new Error('this witness store is already initialised');
    await this.db.batch([{ type: 'put', key: META_KEY, value: encode([meta.layout, meta.name, meta.verifierKey, meta.createdAt]) }], { sync: true });
  }

  async readState(origin: string): Promise<CosignedState | undefined> {
    const value = await this.db.get(key('c', origin));
    if (value === undefined) return undefined;
    const what = `the cosigned state of ${origin}`;
    const [size, rootHash, logNote, cosignature, cosignedAt] = decodeArray(value, what, 5);
    return {
      size: num(size, what),
      rootHash: bytes(rootHash, what),
      logNote: str(logNote, what),
      cosignature: str(cosignature, what),
      cosignedAt: num(cosignedAt, what),
    };
  }

  /** The latest cosignature timestamp ever used for `origin` (0 if none), surviving `clear --reset`. */
  async readTimestampFloor(origin: string): Promise<number> {
    const value = await this.db.get(key('t', origin));
    return value === undefined ? 0 : num(decodeArray(value, `the timestamp of ${origin}`, 1)[0], `the timestamp of ${origin}`);
  }

  async readRefusal(origin: string): Promise<Refusal | undefined> {
    const value = await this.db.get(key('r', origin));
    if (value === undefined) return undefined;
    const what = `the refusal of ${origin}`;
    const [evidenceFile, reason, since] = decodeArray(value, what, 3);
    return { evidenceFile: str(evidenceFile, what), reason: str(reason, what), since: num(since, what) };
  }

  /**
   * The commit point of a cosignature: the new state and its timestamp in one synced batch. Only
   * after this returns may the cosignature leave the process (tlog-witness: "MUST persist the new
   * checkpoint before responding"). A crash before it leaves the old state, whose size the next
   * request's 409 reports; a crash after it leaves the new state, cosignature unsent.
   */
  async commitCosigned(origin: string, state: CosignedState): Promise<void> {
    await this.db.batch(
      [
        { type: 'put', key: key('c', origin), value: encode([state.size, state.rootHash, state.logNote, state.cosignature, state.cosignedAt]) },
        { type: 'put', key: key('t', origin), value: encode([state.cosignedAt]) },
      ],
      { sync: true },
    );
  }

  async refuse(origin: string, refusal: Refusal): Promise<void> {
    await this.db.batch([{ type: 'put', key: key('r', origin), value: encode([refusal.evidenceFile, refusal.reason, refusal.since]) }], { sync: true });
  }

  /** Removes the refusal; with `reset`, forgets the cosigned state as well (the timestamp floor stays). */
  async clear(origin: string, reset: boolean): Promise<void> {
    const ops: { type: 'del'; key: Buffer }[] = [{ type: 'del', key: key('r', origin) }];
    if (reset) ops.push({ type: 'del', key: key('c', origin) });
    await this.db.batch(ops, { sync: true });
  }
}
