/**
 * @module
 * The anchor store: a LevelDB of its own at `<witness data dir>/anchors`, apart from the witness's
 * cosigning state, so that anchoring can never delay or damage a cosignature. Every write is one
 * `batch(..., { sync: true })`: durable once it returns.
 *
 * | key                       | value (JSON)                                                        |
 * |---------------------------|---------------------------------------------------------------------|
 * | `o/` + origin             | {@link OriginState}: the last anchor, the latest cosigned checkpoint |
 * | `a/` + 12-digit sequence  | {@link StoredAnchor}: the record exactly as sent                    |
 * | `d/` + sequence + `/` + sink id | {@link StoredDelivery}: state, attempts, last error, receipt   |
 * | `p/` + sequence + `/` + sink id | empty: the index of pending deliveries                       |
 *
 * Start-up reads the origins (one key per log) and the pending deliveries with their anchors, never
 * the whole history: a delivered anchor is read again only by the `anchors` listing.
 * An anchor and its deliveries (all pending) and its origin's new state are written in one batch, so
 * after a crash either the anchor exists with a delivery per sink, or it does not and the next
 * cosignature decides again.
 */
import { Level } from 'level';
import { fromBase64 } from '../util/bytes.js';
import { anchorIdempotencyKey, formatAnchorRecord, type AnchorSinkType, type SinkIdentity } from './anchor-record.js';

export interface OriginState {
  /** The last anchor made for this origin. */
  readonly anchored?: { readonly size: number; readonly rootHash: string; readonly at: number; readonly seq: number };
  /** The latest checkpoint cosigned for this origin, anchored or not. */
  readonly cosigned?: { readonly size: number; readonly rootHash: string; readonly note: string };
}

export interface StoredAnchor {
  /** Order of creation, from 1. */
  readonly seq: number;
  readonly origin: string;
  readonly treeSize: number;
  /** Base64. */
  readonly rootHash: string;
  /** Milliseconds since the Unix epoch; equals the record's `anchored_at`. */
  readonly anchoredAt: number;
  /** The anchor record's JSON text, sent byte for byte on every attempt. */
  readonly record: string;
  readonly idempotencyKey: string;
}

/** The anchor of `cosigned`, made at `now`: its record text is fixed here, once, for every attempt. */
export function makeAnchor(seq: number, origin: string, cosigned: NonNullable<OriginState['cosigned']>, witness: string, now: number): StoredAnchor {
  const rootHash = fromBase64(cosigned.rootHash)!;
  return {
    seq,
    origin,
    treeSize: cosigned.size,
    rootHash: cosigned.rootHash,
    anchoredAt: now,
    record: formatAnchorRecord({ origin, treeSize: cosigned.size, rootHash, checkpoint: cosigned.note, witness, anchoredAt: now }),
    idempotencyKey: anchorIdempotencyKey(origin, cosigned.size, rootHash, witness),
  };
}

export interface StoredDelivery {
  readonly seq: number;
  readonly sink: SinkIdentity;
  readonly state: 'pending' | 'delivered';
  readonly attempts: number;
  readonly lastError?: string;
  readonly lastAttemptAt?: number;
  readonly deliveredAt?: number;
  /** For a log sink: the receipt's JSON text as the log returned it, verified before it was kept. */
  readonly receipt?: string;
}

/** What a running anchorer needs: every origin, the pending deliveries and their anchors. */
export interface ActiveState {
  readonly origins: Map<string, OriginState>;
  readonly anchors: StoredAnchor[];
  readonly pending: StoredDelivery[];
  /** The sequence number of the last anchor made (0 for none). */
  readonly lastSeq: number;
}

/** Every anchor and delivery, for the listing. */
export interface History {
  readonly anchors: StoredAnchor[];
  readonly deliveries: StoredDelivery[];
}

export interface AnchorWrite {
  readonly origins?: readonly (readonly [string, OriginState])[];
  readonly anchors?: readonly StoredAnchor[];
  readonly deliveries?: readonly StoredDelivery[];
}

type Db = Level<string, string>;

const seqText = (seq: number): string => String(seq).padStart(12, '0');
const originKey = (origin: string): string => `o/${origin}`;
const anchorKey = (seq: number): string => `a/${seqText(seq)}`;
const deliveryKey = (seq: number, sinkId: string): string => `d/${seqText(seq)}/${sinkId}`;
const pendingKey = (seq: number, sinkId: string): string => `p/${seqText(seq)}/${sinkId}`;
// '0' is the character after '/': these bounds enclose exactly one prefix.
const range = (prefix: string): { gte: string; lt: string } => ({ gte: `${prefix}/`, lt: `${prefix}0` });

function damaged(what: string): never {
  throw new Error(`the anchor store is damaged: ${what} has an unexpected shape`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const SINK_TYPES: readonly AnchorSinkType[] = ['log', 'file', 'webhook'];

function parse(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    damaged(what);
  }
  return isObject(value) ? value : damaged(what);
}

function checkAnchor(v: Record<string, unknown>): StoredAnchor {
  const ok =
    isUint(v['seq']) &&
    typeof v['origin'] === 'string' &&
    isUint(v['treeSize']) &&
    typeof v['rootHash'] === 'string' &&
    isUint(v['anchoredAt']) &&
    typeof v['record'] === 'string' &&
    typeof v['idempotencyKey'] === 'string';
  return ok ? (v as unknown as StoredAnchor) : damaged('an anchor');
}

function checkDelivery(v: Record<string, unknown>): StoredDelivery {
  const sink = v['sink'];
  const ok =
    isUint(v['seq']) &&
    isObject(sink) &&
    typeof sink['id'] === 'string' &&
    SINK_TYPES.includes(sink['type'] as AnchorSinkType) &&
    typeof sink['label'] === 'string' &&
    (v['state'] === 'pending' || v['state'] === 'delivered') &&
    isUint(v['attempts']) &&
    (v['lastError'] === undefined || typeof v['lastError'] === 'string') &&
    (v['receipt'] === undefined || typeof v['receipt'] === 'string');
  return ok ? (v as unknown as StoredDelivery) : damaged('a delivery');
}

function checkOrigin(v: Record<string, unknown>): OriginState {
  const anchored = v['anchored'];
  const cosigned = v['cosigned'];
  const ok =
    (anchored === undefined || (isObject(anchored) && isUint(anchored['size']) && isUint(anchored['at']) && isUint(anchored['seq']))) &&
    (cosigned === undefined || (isObject(cosigned) && isUint(cosigned['size']) && typeof cosigned['note'] === 'string'));
  return ok ? (v as OriginState) : damaged('an origin state');
}

export class AnchorStore {
  private constructor(
    private readonly db: Db,
    readonly path: string,
  ) {}

  /**
   * Opens the store at `path`, creating it unless `createIfMissing` is false. LevelDB admits one
   * process at a time: a second opener fails with an error whose `cause.code` is `LEVEL_LOCKED`.
   */
  static async open(path: string, options: { createIfMissing?: boolean } = {}): Promise<AnchorStore> {
    const db: Db = new Level<string, string>(path, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open({ createIfMissing: options.createIfMissing ?? true });
    return new AnchorStore(db, path);
  }

  async loadActive(): Promise<ActiveState> {
    const origins = new Map<string, OriginState>();
    for await (const [key, value] of this.db.iterator(range('o'))) {
      origins.set(key.slice(2), checkOrigin(parse(value, 'an origin state')));
    }
    const pendingKeys = await this.db.keys(range('p')).all();
    const deliveryValues = await this.db.getMany(pendingKeys.map((k) => `d${k.slice(1)}`));
    const pending = deliveryValues.map((v) => checkDelivery(parse(v ?? damaged('a pending delivery without its state'), 'a delivery')));
    const seqs = [...new Set(pending.map((d) => d.seq))];
    const anchorValues = await this.db.getMany(seqs.map(anchorKey));
    const anchors = anchorValues.map((v) => checkAnchor(parse(v ?? damaged('a pending delivery without its anchor'), 'an anchor')));
    const [last] = await this.db.keys({ ...range('a'), reverse: true, limit: 1 }).all();
    return { origins, anchors, pending, lastSeq: last === undefined ? 0 : Number(last.slice(2)) };
  }

  async loadHistory(): Promise<History> {
    const anchors: StoredAnchor[] = [];
    for await (const value of this.db.values(range('a'))) anchors.push(checkAnchor(parse(value, 'an anchor')));
    const deliveries: StoredDelivery[] = [];
    for await (const value of this.db.values(range('d'))) deliveries.push(checkDelivery(parse(value, 'a delivery')));
    return { anchors, deliveries };
  }

  /** Writes everything given in one synced batch; keeps the pending index in step with each delivery. */
  async write(write: AnchorWrite): Promise<void> {
    const ops: ({ type: 'put'; key: string; value: string } | { type: 'del'; key: string })[] = [];
    for (const [origin, state] of write.origins ?? []) ops.push({ type: 'put', key: originKey(origin), value: JSON.stringify(state) });
    for (const a of write.anchors ?? []) ops.push({ type: 'put', key: anchorKey(a.seq), value: JSON.stringify(a) });
    for (const d of write.deliveries ?? []) {
      ops.push({ type: 'put', key: deliveryKey(d.seq, d.sink.id), value: JSON.stringify(d) });
      const pending = pendingKey(d.seq, d.sink.id);
      ops.push(d.state === 'pending' ? { type: 'put', key: pending, value: '' } : { type: 'del', key: pending });
    }
    if (ops.length > 0) await this.db.batch(ops, { sync: true });
  }

  /**
   * Forgets what anchoring knows of `origin` (its last anchor and latest cosigned checkpoint), for
   * `witness clear --reset`: a rebuilt log is then anchored from its first cosignature on, not once
   * it outgrows the old one. The anchors already made, and their deliveries, stay.
   */
  async forgetOrigin(origin: string): Promise<boolean> {
    const known = (await this.db.get(originKey(origin))) !== undefined;
    if (known) await this.db.batch([{ type: 'del', key: originKey(origin) }], { sync: true });
    return known;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/** True when `error` is LevelDB refusing a store another process holds. */
export function isLockedError(error: unknown): boolean {
  return (error as { cause?: { code?: string } } | undefined)?.cause?.code === 'LEVEL_LOCKED';
}
