/**
 * @module
 * Load on the log: several submitters (one token each), each with a few concurrent clients that
 * mix add-entry and add-entries, with and without idempotency keys. A request left without an
 * answer by a kill is sent again later (after the restart, usually) when it has a key, as a
 * gateway with retries would; now and then one already acknowledged is sent again, and must come
 * back as the same entry.
 */
import { randomBytes } from 'node:crypto';
import { pinnedErrorCode, request } from './http.js';
import type { LogLedger } from './log-ledger.js';
import type { Random } from './random.js';
import type { Failures } from './report.js';

export interface Submitter {
  /** The principal name, which the log writes into each leaf. */
  readonly name: string;
  readonly token: string;
}

/**
 * One request as sent, so that it can be sent again byte for byte. `keys[i]` is the idempotency
 * key of `records[i]` (its event_id, or the Idempotency-Key header), if it has one.
 */
interface Submission {
  readonly path: '/ct/v1/add-entry' | '/ct/v1/add-entries';
  readonly records: readonly string[];
  readonly keys: readonly (string | undefined)[];
  readonly header?: string;
}

const idempotent = (s: Submission): boolean => s.keys.every((k) => k !== undefined);

/** Counts for one load period. */
export interface LoadStats {
  sent: number;
  acknowledged: number;
  lostInFlight: number;
  errorsWhileUp: number;
  shed: number;
}

const MODELS = ['gpt-5.1', 'claude-opus-4', 'gemini-3-pro', 'llama-4-70b'] as const;
const VERDICTS = ['allow', 'block', 'redact'] as const;

/** The state of one submitter's clients across cycles: what to retry, what may be repeated. */
class SubmitterState {
  readonly retries: Submission[] = [];
  /** Acknowledged idempotent submissions (the most recent ones), to repeat. */
  readonly done: Submission[] = [];
  sequence = 0;

  constructor(
    readonly submitter: Submitter,
    readonly index: number,
  ) {}
}

export class LogLoad {
  private readonly states: SubmitterState[];
  private readonly clients: { state: SubmitterState; rng: Random; id: number }[] = [];
  /** Keeps event_ids of different runs apart (a reused --data DIR must not see an old key with a new record). */
  private readonly run = randomBytes(4).toString('hex');

  constructor(
    private readonly ledger: LogLedger,
    private readonly failures: Failures,
    submitters: readonly Submitter[],
    clientsPerSubmitter: number,
    rng: Random,
  ) {
    this.states = submitters.map((s, i) => new SubmitterState(s, i));
    for (const state of this.states) {
      for (let c = 0; c < clientsPerSubmitter; c++) this.clients.push({ state, rng: rng.fork(this.clients.length), id: c });
    }
  }

  /** Requests with a key still waiting for an answer (sent again in later cycles). */
  get pendingRetries(): number {
    return this.states.reduce((n, s) => n + s.retries.length, 0);
  }

  /**
   * Starts every client against `url`. `kill()` marks the moment the server is killed (failures
   * after it are losses, not errors); `stop()` makes the clients stop and resolves with the counts
   * once every request in flight has ended.
   */
  begin(url: string, serverAlive: () => boolean): { kill(): void; stop(): Promise<LoadStats> } {
    const stats: LoadStats = { sent: 0, acknowledged: 0, lostInFlight: 0, errorsWhileUp: 0, shed: 0 };
    let stopping = false;
    let killed = false;
    const running = this.clients.map(async ({ state, rng }) => {
      while (!stopping) {
        const submission = this.next(state, rng);
        stats.sent++;
        await this.send(url, state, submission, stats, () => killed, serverAlive);
      }
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

  private next(state: SubmitterState, rng: Random): Submission {
    if (state.retries.length > 0 && rng.chance(0.5)) return state.retries.shift()!;
    if (state.done.length > 0 && rng.chance(0.05)) return rng.pick(state.done);
    const roll = rng.next();
    const id = (): string => `crash-${this.run}-${state.index}-${state.sequence++}`;
    if (roll < 0.45) {
      // The record's event_id is its idempotency key (PROTOCOL §5).
      const key = id();
      return { path: '/ct/v1/add-entry', records: [record(rng, { event_id: key })], keys: [key] };
    }
    if (roll < 0.6) {
      const key = id();
      return { path: '/ct/v1/add-entry', records: [record(rng, { request_ref: key })], keys: [key], header: key };
    }
    if (roll < 0.75) {
      // No key at all: sent once, never again (a retry could log it twice, as it may).
      return { path: '/ct/v1/add-entry', records: [record(rng, { request_ref: id() })], keys: [undefined] };
    }
    const keys = Array.from({ length: rng.int(2, 12) }, id);
    return { path: '/ct/v1/add-entries', records: keys.map((k) => record(rng, { event_id: k })), keys };
  }

  private async send(
    url: string,
    state: SubmitterState,
    submission: Submission,
    stats: LoadStats,
    killed: () => boolean,
    serverAlive: () => boolean,
  ): Promise<void> {
    const { submitter } = state;
    const headers: Record<string, string> = { authorization: `Bearer ${submitter.token}`, 'content-type': 'application/json' };
    if (submission.header !== undefined) headers['idempotency-key'] = submission.header;
    const body = submission.path === '/ct/v1/add-entries' ? `[${submission.records.join(',')}]` : submission.records[0]!;
    const outcome = await request(`${url}${submission.path}`, { method: 'POST', headers, body });
    if (outcome.kind === 'failed') {
      if (killed()) stats.lostInFlight++;
      else {
        stats.errorsWhileUp++;
        if (outcome.code === 'timeout' && serverAlive()) this.failures.add('answer', `${submission.path} for ${submitter.name} got no answer within 30 s from a running server`);
      }
      if (idempotent(submission)) state.retries.push(submission);
      return;
    }
    if (outcome.status === 200) {
      let receipts: unknown[];
      try {
        const json = JSON.parse(outcome.text);
        receipts = submission.path === '/ct/v1/add-entries' ? json.receipts : [json];
        if (!Array.isArray(receipts) || receipts.length !== submission.records.length) throw new Error(`${submission.records.length} receipts expected`);
      } catch (e) {
        this.failures.add('answer', `${submission.path} for ${submitter.name} answered 200 with a body that is not its receipts (${(e as Error).message}): ${outcome.text.slice(0, 200)}`);
        return;
      }
      receipts.forEach((receipt, i) => this.ledger.acknowledge(submitter.name, submission.keys[i], submission.records[i]!, receipt));
      stats.acknowledged += receipts.length;
      if (idempotent(submission)) {
        state.done.push(submission);
        if (state.done.length > 100) state.done.shift();
      }
      return;
    }
    // The log sheds load with 503 (overloaded, shutdown) or 429 (rate limited), always with the
    // pinned body and Retry-After. Anything else is wrong for a valid request from a valid token,
    // a 503 `storage` too: nothing here makes the disk fail.
    const code = pinnedErrorCode(outcome.text);
    const shed = (outcome.status === 503 && (code === 'overloaded' || code === 'shutdown')) || (outcome.status === 429 && code === 'rateLimited');
    if (shed && outcome.headers.get('retry-after') !== null) {
      stats.shed++;
      if (idempotent(submission)) state.retries.push(submission);
      return;
    }
    this.failures.add('answer', `${submission.path} for ${submitter.name} answered ${outcome.status}: ${outcome.text.slice(0, 300)}`);
  }
}

/** A gateway audit record of a few hundred bytes; its content comes from the seeded stream. */
function record(rng: Random, id: Record<string, string>): string {
  return JSON.stringify({
    ...id,
    tenant_id: `tenant-${rng.int(0, 3)}`,
    user_id: `user-${rng.int(0, 99)}@example.com`,
    model: rng.pick(MODELS),
    verdict: rng.pick(VERDICTS),
    guardrails: { pii: rng.chance(0.1) ? 'flag' : 'pass', jailbreak: rng.chance(0.05) ? 'block' : 'pass' },
    tokens: { prompt: rng.int(10, 8000), completion: rng.int(1, 2000) },
    cost_micro_usd: rng.int(1, 500_000),
    prompt_sha256: Array.from(rng.bytes(32), (b) => b.toString(16).padStart(2, '0')).join(''),
  });
}
