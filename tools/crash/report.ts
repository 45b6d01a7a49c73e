/**
 * @module
 * What a crash run found: the failures, grouped by the check that caught them, and the counts a
 * test asserts on (a run that acknowledged nothing proves nothing).
 */

/** The checks, by the name the summary prints. */
export type Check =
  | 'receipt' // a receipt does not verify, or is not a receipt
  | 'index' // one index handed out for two leaves
  | 'idempotency' // one idempotency key answered with two entries
  | 'checkpoint' // a checkpoint or tree head that does not verify, or two roots for one size
  | 'consistency' // a checkpoint not proven consistent with an earlier one, or a smaller tree
  | 'entries' // an acknowledged entry missing or changed after a restart
  | 'restart' // not serving again within the limit
  | 'answer' // an answer no correct server gives (a 4xx/5xx for a valid request, a malformed body)
  | 'process' // a server that exited on its own, or did not stop cleanly on SIGTERM
  | 'backwards' // the witness's state went backwards
  | 'cosignature'; // a cosignature that does not verify, on a root the log never signed, or two roots for one size

const EXAMPLES_PER_CHECK = 5;

export class Failures {
  private readonly byCheck = new Map<Check, { count: number; examples: string[] }>();

  add(check: Check, message: string): void {
    const entry = this.byCheck.get(check) ?? { count: 0, examples: [] };
    entry.count++;
    if (entry.examples.length < EXAMPLES_PER_CHECK) entry.examples.push(message);
    this.byCheck.set(check, entry);
  }

  get count(): number {
    let count = 0;
    for (const { count: n } of this.byCheck.values()) count += n;
    return count;
  }

  get checks(): Check[] {
    return [...this.byCheck.keys()];
  }

  /** One line per failure kept (at most five per check), and how many more there were. */
  list(): string[] {
    const lines: string[] = [];
    for (const [check, { count, examples }] of this.byCheck) {
      for (const example of examples) lines.push(`${check}: ${example}`);
      if (count > examples.length) lines.push(`${check}: …and ${count - examples.length} more`);
    }
    return lines;
  }
}

export interface CrashReportBase {
  readonly seed: number;
  readonly cyclesRequested: number;
  /** Kill-and-restart cycles whose checks ran. */
  readonly cycles: number;
  readonly ok: boolean;
  /** The failed checks, one line each (`check: what failed`). */
  readonly failures: readonly string[];
  /** Spawn to serving (answering a read), per start, in milliseconds. */
  readonly restartMs: readonly number[];
  /** Cycles in which the server was also killed while starting up. */
  readonly startupKills: number;
  /** Requests with no answer because the server was killed under them. */
  readonly lostInFlight: number;
  /** Requests with no answer while the server was up (a client-side connection race, or a crash). */
  readonly errorsWhileUp: number;
}

export interface LogCrashReport extends CrashReportBase {
  readonly mode: 'log';
  readonly submitters: number;
  /** Distinct entries acknowledged with a receipt. */
  readonly entries: number;
  /** Receipts returned, idempotent repeats included… */
  readonly receipts: number;
  /** …and how many of them verified. */
  readonly receiptsVerified: number;
  /** Acknowledged entries found unchanged in the log at the last check. */
  readonly entriesFound: number;
  readonly consistencyProofs: number;
  /** 503s (overloaded, shutdown) answered with the pinned error body. */
  readonly shed: number;
  readonly treeSize: number;
}

export interface WitnessCrashReport extends CrashReportBase {
  readonly mode: 'witness';
  /** Cosignatures returned (200s)… */
  readonly cosignatures: number;
  /** …and how many of them verified. */
  readonly cosignaturesVerified: number;
  /** The largest tree size the witness acknowledged cosigning. */
  readonly cosignedSize: number;
  /** The size of the witness's cosigned state at the last check. */
  readonly witnessSize: number;
  /** Checkpoints signed with the log's key but not proven consistent, refused as they must be. */
  readonly forgeriesRefused: number;
  /** 409s: the request's old size was not the witness's latest. */
  readonly conflicts: number;
  readonly logSize: number;
}

export type CrashReport = LogCrashReport | WitnessCrashReport;

/** The closing line: PASS or FAIL and why, with the seed to replay. */
export function verdict(report: CrashReport): string {
  const what =
    report.mode === 'log'
      ? `${report.entries} entries acknowledged, ${report.receiptsVerified}/${report.receipts} receipts verified, ${report.entriesFound} found in the log`
      : `${report.cosignaturesVerified}/${report.cosignatures} cosignatures verified up to tree size ${report.cosignedSize}, ${report.forgeriesRefused} forged checkpoints refused`;
  const head = `${report.cycles}/${report.cyclesRequested} cycles of the ${report.mode}, ${what}; seed ${report.seed}`;
  if (report.ok) return `crash: PASS: ${head}`;
  return [`crash: FAIL: ${head}; failed checks:`, ...report.failures.map((f) => `  ${f}`)].join('\n');
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
