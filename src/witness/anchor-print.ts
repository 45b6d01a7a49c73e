/**
 * @module
 * `sealtrail witness anchors --data DIR [--json]`: every anchor, and per sink whether it was
 * delivered, with the receipt a log sink returned. Reads the anchor store; LevelDB admits one process
 * at a time, so this runs while the witness is stopped.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnchorSinkType } from './anchor-record.js';
import { AnchorStore, isLockedError, type StoredAnchor, type StoredDelivery } from './anchor-store.js';

export interface DeliveryListing {
  readonly sinkId: string;
  readonly type: AnchorSinkType;
  readonly label: string;
  readonly state: 'delivered' | 'pending';
  readonly attempts: number;
  readonly lastError?: string;
  /** Milliseconds since the epoch. */
  readonly lastAttemptAt?: number;
  readonly deliveredAt?: number;
  /** Log sinks: the receipt (PROTOCOL §4) the log returned, verified when it was received. */
  readonly receipt?: Record<string, unknown>;
}

export interface AnchorListing {
  readonly seq: number;
  readonly origin: string;
  readonly treeSize: number;
  /** Base64. */
  readonly rootHash: string;
  /** Milliseconds since the epoch: the record's `anchored_at`. */
  readonly anchoredAt: number;
  /** The anchor record's JSON text exactly as sent to every sink. */
  readonly record: string;
  readonly deliveries: readonly DeliveryListing[];
}

export function toListing(anchors: readonly StoredAnchor[], deliveries: readonly StoredDelivery[]): AnchorListing[] {
  const bySeq = new Map<number, DeliveryListing[]>();
  for (const d of deliveries) {
    const listing: DeliveryListing = {
      sinkId: d.sink.id,
      type: d.sink.type,
      label: d.sink.label,
      state: d.state,
      attempts: d.attempts,
      ...(d.lastError === undefined || d.state === 'delivered' ? {} : { lastError: d.lastError }),
      ...(d.lastAttemptAt === undefined ? {} : { lastAttemptAt: d.lastAttemptAt }),
      ...(d.deliveredAt === undefined ? {} : { deliveredAt: d.deliveredAt }),
      ...(d.receipt === undefined ? {} : { receipt: JSON.parse(d.receipt) as Record<string, unknown> }),
    };
    const list = bySeq.get(d.seq) ?? [];
    list.push(listing);
    bySeq.set(d.seq, list);
  }
  return [...anchors]
    .sort((a, b) => a.seq - b.seq)
    .map((a) => ({
      seq: a.seq,
      origin: a.origin,
      treeSize: a.treeSize,
      rootHash: a.rootHash,
      anchoredAt: a.anchoredAt,
      record: a.record,
      deliveries: (bySeq.get(a.seq) ?? []).sort((x, y) => x.type.localeCompare(y.type) || x.label.localeCompare(y.label)),
    }));
}

/** The `--json` shape: snake_case like the protocol's own JSON, the record and receipts as objects. */
function jsonListing(anchors: readonly AnchorListing[]): unknown {
  return {
    anchors: anchors.map((a) => ({
      seq: a.seq,
      origin: a.origin,
      tree_size: a.treeSize,
      root_hash: a.rootHash,
      anchored_at: a.anchoredAt,
      record: JSON.parse(a.record) as unknown,
      deliveries: a.deliveries.map((d) => ({
        sink: d.sinkId,
        type: d.type,
        label: d.label,
        state: d.state,
        attempts: d.attempts,
        last_error: d.lastError ?? null,
        last_attempt_at: d.lastAttemptAt ?? null,
        delivered_at: d.deliveredAt ?? null,
        receipt: d.receipt ?? null,
      })),
    })),
  };
}

const iso = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString());

/** "entry 3 of example.org/log, in its signed checkpoint of size 4". */
function receiptSummary(receipt: Record<string, unknown>): string {
  const checkpoint = typeof receipt['checkpoint'] === 'string' ? receipt['checkpoint'].split('\n') : [];
  return `receipt: entry ${String(receipt['leaf_index'])} of ${checkpoint[0] ?? '?'}, in its signed checkpoint of size ${checkpoint[1] ?? '?'}`;
}

function humanListing(anchors: readonly AnchorListing[], dir: string): string {
  if (anchors.length === 0) return `no anchors in ${dir} yet\n`;
  const pending = anchors.reduce((n, a) => n + a.deliveries.filter((d) => d.state === 'pending').length, 0);
  const lines = [`${anchors.length} anchor${anchors.length === 1 ? '' : 's'} in ${dir}, ${pending} deliver${pending === 1 ? 'y' : 'ies'} pending`, ''];
  const typeWidth = 7;
  const labelWidth = Math.min(48, Math.max(...anchors.flatMap((a) => a.deliveries.map((d) => d.label.length)), 4));
  for (const a of anchors) {
    lines.push(`#${a.seq}  ${a.origin}  tree size ${a.treeSize}  root ${a.rootHash}  anchored ${iso(a.anchoredAt)}`);
    for (const d of a.deliveries) {
      const attempts = `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`;
      const detail =
        d.state === 'delivered'
          ? `${iso(d.deliveredAt)}${d.receipt ? `  ${receiptSummary(d.receipt)}` : ''}`
          : d.lastError === undefined
            ? 'not tried yet'
            : `last error at ${iso(d.lastAttemptAt)}: ${d.lastError}`;
      lines.push(`    ${d.type.padEnd(typeWidth)} ${d.label.padEnd(labelWidth)}  ${d.state.padEnd(9)}  ${attempts.padEnd(11)}  ${detail}`);
    }
  }
  lines.push('', 'full records and receipts: --json');
  return `${lines.join('\n')}\n`;
}

export interface PrintIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const stdio: PrintIo = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

/**
 * The body of `sealtrail witness anchors --data DIR [--json]`. Prints the anchors of the witness
 * whose data directory is `dir`; returns the exit code (0, or 1 when the store cannot be read).
 */
export async function printAnchors(dir: string, json: boolean, io: PrintIo = stdio): Promise<number> {
  const path = join(dir, 'anchors');
  const present = await stat(path).then(
    () => true,
    () => false,
  );
  let anchors: AnchorListing[] = [];
  if (present) {
    let store: AnchorStore;
    try {
      store = await AnchorStore.open(path, { createIfMissing: false });
    } catch (error) {
      io.err(
        isLockedError(error)
          ? `sealtrail: the anchor store ${path} is in use by a running witness; stop it first (LevelDB admits one process at a time)\n`
          : `sealtrail: cannot open the anchor store ${path}: ${(error as Error).message}\n`,
      );
      return 1;
    }
    try {
      const history = await store.loadHistory();
      anchors = toListing(history.anchors, history.deliveries);
    } catch (error) {
      io.err(`sealtrail: cannot read the anchor store ${path}: ${(error as Error).message}\n`);
      return 1;
    } finally {
      await store.close();
    }
  }
  io.out(json ? `${JSON.stringify(jsonListing(anchors), null, 2)}\n` : humanListing(anchors, dir));
  return 0;
}
