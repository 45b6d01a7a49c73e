/**
 * @module
 * Load on the witness: several clients push the log's checkpoints to `POST /add-checkpoint`
 * (C2SP tlog-witness), each from the old size it last heard of, so they race one another and go
 * stale (409, then they catch up from the size in the body). Some push the same size again; some
 * push forged checkpoints, signed with the log's key over a root the log never had, with a proof
 * that cannot verify, which the witness must refuse (422, or 409 if its state moved first).
 */
import { formatAddCheckpoint } from '../../src/witness/request.js';
import { request } from './http.js';
import { sleep } from './process.js';
import type { Random } from './random.js';
import type { Failures } from './report.js';
import type { WitnessLedger } from './witness-ledger.js';
import type { CheckpointSource, SignedCheckpoint } from './witness-source.js';

export interface PushStats {
  sent: number;
  cosigned: number;
  lostInFlight: number;
  errorsWhileUp: number;
}

interface Pusher {
  readonly rng: Random;
  /** The witness's latest size as this client last heard it (stale after others push, or a crash). */
  old: number;
}

export class WitnessLoad {
  private readonly pushers: Pusher[];

  constructor(
    private readonly ledger: WitnessLedger,
    private readonly source: CheckpointSource,
    private readonly failures: Failures,
    count: number,
    rng: Random,
  ) {
    this.pushers = Array.from({ length: count }, (_, i) => ({ rng: rng.fork(i), old: 0 }));
  }

  begin(url: string, serverAlive: () => boolean): { kill(): void; stop(): Promise<PushStats> } {
    const stats: PushStats = { sent: 0, cosigned: 0, lostInFlight: 0, errorsWhileUp: 0 };
    let stopping = false;
    let killed = false;
    const running = this.pushers.map(async (pusher) => {
      while (!stopping) await this.push(url, pusher, stats, () => killed, serverAlive);
    });
    return {
      kill: () => {
        killed = true;
        stopping = true;
      },
      stop: async () => {
        stopping = true;
        await Promise.all(running);
        return stats;
      },
    };
  }

  private async push(url: string, pusher: Pusher, stats: PushStats, killed: () => boolean, serverAlive: () => boolean): Promise<void> {
    const { rng, old } = pusher;
    const newest = this.source.newest;
    let target: SignedCheckpoint;
    let proof: Uint8Array[];
    const forged = old > 0 && rng.chance(0.1);
    if (forged) {
      // Larger than the old size, so that it is judged by its proof (a refusal), never as a second
      // root for the witness's own size (which would be fork evidence and stop it for good).
      target = this.source.forge(old + rng.int(1, 8), rng);
      proof = target.size <= newest.size ? await this.source.proof(old, target.size) : Array.from({ length: rng.int(1, 6) }, () => rng.bytes(32));
    } else {
      const same = old > 0 && rng.chance(0.1) ? this.source.at(old) : undefined;
      const candidates = this.source.sizes.filter((s) => s >= old);
      if (same === undefined && candidates.length === 0) {
        await sleep(5);
        return;
      }
      target = same ?? (rng.chance(0.7) ? newest : this.source.at(rng.pick(candidates))!);
      proof = old === 0 || old === target.size ? [] : await this.source.proof(old, target.size);
    }

    const acknowledgedBefore = this.ledger.maxAcknowledged;
    stats.sent++;
    const outcome = await request(`${url}/add-checkpoint`, { method: 'POST', body: formatAddCheckpoint({ oldSize: old, proof, note: target.note }) });
    if (outcome.kind === 'failed') {
      if (killed()) stats.lostInFlight++;
      else {
        stats.errorsWhileUp++;
        if (outcome.code === 'timeout' && serverAlive()) this.failures.add('answer', 'add-checkpoint got no answer within 30 s from a running witness');
      }
      return;
    }
    if (outcome.status === 200) {
      stats.cosigned++;
      if (forged) this.ledger.cosignedForgery(target, old);
      else this.ledger.acknowledge(target, old, acknowledgedBefore, outcome.text);
      pusher.old = target.size;
      return;
    }
    if (outcome.status === 409) {
      // tlog-witness: the body is the latest size, in decimal, and a newline.
      const m = /^(0|[1-9][0-9]*)\n$/.exec(outcome.text);
      if (!m || outcome.headers.get('content-type') !== 'text/x.tlog.size') {
        this.failures.add('answer', `a 409 from the witness is not "<size>\\n" of type text/x.tlog.size: ${JSON.stringify(outcome.text.slice(0, 100))}`);
        return;
      }
      this.ledger.conflict(Number(m[1]), acknowledgedBefore);
      pusher.old = Number(m[1]);
      return;
    }
    if (outcome.status === 422 && forged) {
      this.ledger.forgeriesRefused++;
      return;
    }
    this.failures.add(
      'answer',
      `add-checkpoint of ${forged ? 'a forged' : 'the log\'s'} checkpoint of size ${target.size} from old size ${old} answered ${outcome.status}: ${outcome.text.slice(0, 300)}`,
    );
  }
}
