/**
 * @module
 * The witness's operational log: one JSON object per line on stderr, so that an error-level line
 * (fork evidence) can be picked out by any log shipper. Never a key or a token.
 */

export type Level = 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** Writes `{"time", "level", "msg", ...fields}` lines to `write` (stderr by default). */
export function jsonLogger(write: (line: string) => void = (line) => process.stderr.write(line), now: () => number = Date.now): Logger {
  return {
    log(level, message, fields = {}) {
      write(`${JSON.stringify({ time: new Date(now()).toISOString(), level, msg: message, ...fields })}\n`);
    },
  };
}
