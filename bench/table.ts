/**
 * @module
 * The one table `npm run bench` prints, and the number formats its rows use.
 */

/** One line of the benchmark table: what is measured, our figure, the baseline's, their ratio, the verdict. */
export interface Row {
  readonly target: string;
  readonly ours: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly verdict: string;
  /** The raw figures behind the strings, for the smoke test and for other benchmarks that build on them. */
  readonly values?: Readonly<Record<string, number>>;
}

export type Verdict = 'pass' | 'falls short' | '';

export const verdict = (met: boolean): Verdict => (met ? 'pass' : 'falls short');

/** A markdown table with padded columns, readable as text and pasteable into the README. */
export function table(rows: readonly Row[]): string {
  const head: Row = { target: 'target', ours: 'sealtrail', baseline: 'baseline', ratio: 'ratio', verdict: 'result' };
  const keys = ['target', 'ours', 'baseline', 'ratio', 'verdict'] as const;
  const all = [head, ...rows];
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((r) => r[k].length))])) as Record<(typeof keys)[number], number>;
  const line = (r: Row): string => `| ${keys.map((k) => r[k].padEnd(width[k])).join(' | ')} |`;
  return [line(head), `|${keys.map((k) => '-'.repeat(width[k] + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** An integer with thousands separators. */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A ratio as `0.42×`. */
export const times = (r: number): string => `${r.toFixed(2)}×`;

/** Milliseconds with enough digits to compare sub-millisecond latencies. */
export const ms = (n: number): string => (n < 10 ? n.toFixed(2) : n.toFixed(1));


/** Progress goes to stderr, so that stdout carries only the table. */
export function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}
