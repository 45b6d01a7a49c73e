/**
 * @module
 * A progress bar on stderr for long commands (export, verify-bundle): `[#####.....]  45%
 * 4500/10000 records  2300/s`. Drawn only when stderr is a terminal, so that output captured by a
 * script or a test stays clean; redrawn at most ten times a second.
 */
import type { WriteStream } from 'node:tty';

const WIDTH = 30;
const REDRAW_MS = 100;

export interface Progress {
  /**
   * `done` of `total` (for the bar); `count` is what the rate counts, `unit` its name, shown as
   * `count/countTotal` when countTotal is given.
   */
  update(done: number, total: number, count: number, countTotal?: number): void;
  /** Erases the bar (before printing a line), to be redrawn at the next update. */
  clear(): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

export function progressBar(unit: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, clear() {}, finish() {} };
  const tty = stream as WriteStream;
  const started = Date.now();
  let last = 0;
  let shown = false;
  let state: { done: number; total: number; count: number; countTotal?: number } = { done: 0, total: 0, count: 0 };
  const draw = (): void => {
    const { done, total, count, countTotal } = state;
    const fraction = total > 0 ? Math.min(done / total, 1) : 1;
    const filled = Math.round(fraction * WIDTH);
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const text =
      `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ` +
      `${count}${countTotal === undefined ? '' : `/${countTotal}`} ${unit}  ${Math.round(count / seconds)}/s`;
    tty.write(`\r${text.slice(0, Math.max((tty.columns ?? 80) - 1, 10))}\x1b[K`);
    shown = true;
  };
  return {
    update(done, total, count, countTotal) {
      state = countTotal === undefined ? { done, total, count } : { done, total, count, countTotal };
      const now = Date.now();
      if (now - last < REDRAW_MS) return;
      last = now;
      draw();
    },
    clear() {
      if (shown) tty.write('\r\x1b[K');
      shown = false;
      last = 0;
    },
    finish() {
      draw();
      tty.write('\n');
      shown = false;
    },
  };
}
