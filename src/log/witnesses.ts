/**
 * @module
 * The log's side of C2SP tlog-witness (PROTOCOL §7): after checkpoints are published, push the
 * latest one to each configured witness, collect their cosignatures, and keep the newest cosigned
 * checkpoint for `/checkpoint`. It runs beside the sequencer, never in its path: a slow or dead
 * witness delays only its own cosignature, never an add-entry.
 */
import { addSignatures, openNote, parseVerifierKey } from '../note/index.js';
import type { NoteVerifier } from '../note/index.js';
import { toBase64 } from '../util/bytes.js';
import type { TreeHead } from '../storage/types.js';

export interface WitnessConfig {
  readonly url: string;
  readonly verifierKey: string;
}

/** What the pusher needs from the log: the published head and consistency proofs. */
export interface PushSource {
  readonly head: TreeHead;
  consistencyProof(first: number, second: number): Promise<Uint8Array[]>;
}

export interface WitnessStatus {
  readonly url: string;
  readonly verifier_key: string;
  /** Tree size of the latest checkpoint this witness cosigned for us (0 before the first). */
  readonly cosigned_size: number;
  /** When that cosignature was received, ms since the epoch; null before the first. */
  readonly cosigned_at: number | null;
  readonly last_error: string | null;
}

interface WitnessState {
  readonly url: string;
  readonly verifierKey: string;
  readonly verifier: NoteVerifier;
  /** The size the witness last told us (200 or 409): the `old` of the next request. */
  known: number;
  cosignedSize: number;
  cosignedAt: number | null;
  lastError: string | null;
  /** The cosignature line for the checkpoint of size `cosignedSize`. */
  line: string | undefined;
}

export interface PusherOptions {
  readonly source: PushSource;
  readonly witnesses: readonly WitnessConfig[];
  /** At most one push round per this many milliseconds. */
  readonly intervalMs: number;
  /** Per-request timeout. */
  readonly timeoutMs?: number;
  readonly now?: () => number;
  readonly report?: (line: Record<string, unknown>) => void;
}

/** tlog-witness: a request may carry at most 63 proof lines. */
const MAX_PROOF_LINES = 63;

export class WitnessPusher {
  private readonly witnesses: WitnessState[];
  private cosignedNote: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private closed = false;
  private lastRoundSize = -1;

  constructor(private readonly options: PusherOptions) {
    this.witnesses = options.witnesses.map((w) => {
      const verifier = parseVerifierKey(w.verifierKey);
      if (verifier.type !== 0x04) throw new Error(`witness ${w.url}: ${w.verifierKey} is not a witness (cosignature, type 0x04) key`);
      return { url: w.url.replace(/\/+$/, ''), verifierKey: w.verifierKey, verifier, known: 0, cosignedSize: 0, cosignedAt: null, lastError: null, line: undefined };
    });
  }

  /** Starts pushing: one round now, then at most one per interval while the tree grows. */
  start(): void {
    if (this.witnesses.length === 0) return;
    this.tick();
  }

  /** The newest checkpoint that carries witness cosignatures, with them appended; undefined if none yet. */
  cosigned(): string | undefined {
    return this.cosignedNote;
  }

  status(): WitnessStatus[] {
    return this.witnesses.map((w) => ({
      url: w.url,
      verifier_key: w.verifierKey,
      cosigned_size: w.cosignedSize,
      cosigned_at: w.cosignedAt,
      last_error: w.lastError,
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
  }

  private tick(): void {
    if (this.closed) return;
    const head = this.options.source.head;
    const behind = this.witnesses.some((w) => w.cosignedSize !== head.size || w.line === undefined);
    if (head.size !== this.lastRoundSize || behind) {
      this.round = this.pushRound(head).finally(() => {
        this.round = undefined;
      });
    }
    void Promise.resolve(this.round).then(() => {
      if (this.closed) return;
      this.timer = setTimeout(() => this.tick(), this.options.intervalMs);
      this.timer.unref();
    });
  }

  /** Pushes `head` to every witness in parallel and publishes the cosignatures collected for it. */
  private async pushRound(head: TreeHead): Promise<void> {
    this.lastRoundSize = head.size;
    await Promise.all(this.witnesses.map((w) => this.pushTo(w, head)));
    const lines = this.witnesses.filter((w) => w.cosignedSize === head.size && w.line !== undefined).map((w) => w.line!);
    if (lines.length > 0) this.cosignedNote = addSignatures(head.checkpoint, lines);
  }

  private async pushTo(w: WitnessState, head: TreeHead): Promise<void> {
    if (w.cosignedSize === head.size && w.line !== undefined) return;
    try {
      // One retry: a 409 tells us the witness's size, and the second request starts from it.
      for (let attempt = 0; attempt < 2; attempt++) {
        const old = w.known <= head.size ? w.known : 0;
        const proof = old === 0 || old === head.size ? [] : await this.options.source.consistencyProof(old, head.size);
        if (proof.length > MAX_PROOF_LINES) throw new Error(`a consistency proof of ${proof.length} hashes exceeds tlog-witness's ${MAX_PROOF_LINES}`);
        const body = `old ${old}\n${proof.map((p) => `${toBase64(p)}\n`).join('')}\n${head.checkpoint}`;
        const res = await fetch(`${w.url}/add-checkpoint`, {
          method: 'POST',
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        const text = await res.text();
        if (res.status === 409 && /^text\/x\.tlog\.size/.test(res.headers.get('content-type') ?? '')) {
          const size = /^(0|[1-9][0-9]*)\n$/.exec(text);
          if (!size) throw new Error(`409 with a malformed size body ${JSON.stringify(text.slice(0, 40))}`);
          w.known = Number(size[1]);
          if (w.known > head.size) throw new Error(`the witness has cosigned size ${w.known}, beyond this log's ${head.size}`);
          continue;
        }
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
        w.line = this.checkCosignature(w, head, text);
        w.known = head.size;
        w.cosignedSize = head.size;
        w.cosignedAt = (this.options.now ?? Date.now)();
        w.lastError = null;
        return;
      }
      throw new Error('the witness kept answering 409');
    } catch (error) {
      w.lastError = (error as Error).message;
      this.options.report?.({ level: 'warn', msg: 'witness push failed', witness: w.url, tree_size: head.size, error: w.lastError });
    }
  }

  /** The witness's answer must hold a valid cosignature by its key over this checkpoint. */
  private checkCosignature(w: WitnessState, head: TreeHead, body: string): string {
    const lines = body.split('\n').filter((l) => l !== '');
    for (const line of lines) {
      try {
        const opened = openNote(addSignatures(head.checkpoint, [line]), [w.verifier]);
        if (opened.verified.length > 0) return `${line}\n`;
      } catch {
        // Not a line by this witness's key; look at the next one.
      }
    }
    throw new Error('the answer holds no valid cosignature by the configured witness key');
  }
}
