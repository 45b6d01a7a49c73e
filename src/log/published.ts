/**
 * @module
 * Tells listeners (the live tail, GET /v1/stream) about each published pass: its signed tree head and
 * the entries it appended. The sequencer must never wait for a listener: it only records the new head
 * here, synchronously; the entries are read back from the store (they are durable by then) and handed
 * to listeners afterwards, one pass at a time, in log order.
 */
import type { LogStore, StoredRecordField, TreeHead } from '../storage/types.js';

/** An entry a pass appended (sequenced, integrated and published). */
export interface AppendedEntry {
  readonly index: number;
  readonly leafInput: Uint8Array;
  /** The entry's stored record as read after the pass; undefined for an entry without one. */
  readonly fields: readonly StoredRecordField[] | undefined;
}

export interface PublishedPass {
  /** The tree head the pass published. */
  readonly head: TreeHead;
  /** The index of the pass's first entry: the tree size before the pass. */
  readonly firstIndex: number;
  /**
   * The entries of [firstIndex, head.size), in order, for listeners that asked for them (empty for
   * the others); undefined if the store could not give them back (a listener that needs every entry
   * must then give up).
   */
  readonly entries: readonly AppendedEntry[] | undefined;
}

export interface PublishedListener {
  /** Called once per published pass, in log order. Must not throw; should be quick. */
  published(pass: PublishedPass): void;
  /** Called once when the log stops publishing (drain or close); the listener is then removed. */
  closed?(): void;
  /** Whether `published` needs `entries`; when no listener does, nothing is read back. */
  readonly wantsEntries?: boolean;
}

export class PublishedFeed {
  private readonly listeners = new Set<PublishedListener>();
  /** Deliveries run one after another, so that listeners hear of passes in log order. */
  private delivering: Promise<void> = Promise.resolve();
  private size: number;
  private closing = false;

  constructor(
    private readonly store: LogStore,
    head: TreeHead,
  ) {
    this.size = head.size;
  }

  get closed(): boolean {
    return this.closing;
  }

  /** Adds a listener; returns the function that removes it. Throws once the log has stopped publishing. */
  subscribe(listener: PublishedListener): () => void {
    if (this.closing) throw new Error('the log has stopped publishing');
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The sequencer published `head`. Synchronous and cheap: it never throws and never waits. */
  published(head: TreeHead): void {
    const firstIndex = this.size;
    this.size = head.size;
    if (this.listeners.size === 0) return;
    const wantsEntries = [...this.listeners].some((l) => l.wantsEntries === true);
    this.delivering = this.delivering.then(() => this.deliver(head, firstIndex, wantsEntries));
  }

  /** Waits for deliveries under way, then tells every listener that publishing has stopped. */
  async close(): Promise<void> {
    this.closing = true;
    await this.delivering;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const l of listeners) guard(() => l.closed?.());
  }

  private async deliver(head: TreeHead, firstIndex: number, wantsEntries: boolean): Promise<void> {
    let entries: AppendedEntry[] | undefined = [];
    if (wantsEntries) {
      try {
        const count = head.size - firstIndex;
        const leafInputs = await this.store.readEntries(firstIndex, count);
        const records = await Promise.all(leafInputs.map((_, i) => this.store.readRecord(firstIndex + i)));
        entries = leafInputs.length === count ? leafInputs.map((leafInput, i) => ({ index: firstIndex + i, leafInput, fields: records[i] })) : undefined;
      } catch {
        entries = undefined;
      }
    }
    for (const l of [...this.listeners]) {
      guard(() => l.published({ head, firstIndex, entries: l.wantsEntries === true ? entries : [] }));
    }
  }
}

/** A listener's failure is its own: it must not stop the others or the delivery chain. */
function guard(f: () => void): void {
  try {
    f();
  } catch {
    // Deliberately ignored; listeners are required not to throw.
  }
}
