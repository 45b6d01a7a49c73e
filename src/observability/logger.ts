/**
 * @module
 * Structured logs: one JSON object per line (pino), format in spec/formats.md §17.
 *
 * What may be logged is narrow on purpose: methods, route patterns, statuses, durations, request
 * ids, principal names, sizes and error messages of the log itself. Never a record value, a salt, a
 * request body, a query string or a token: callers pass only such fields, and nothing here logs a
 * request or its headers wholesale.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * A logger writing to `destination`, by default standard error through an asynchronous buffer (pino
 * flushes it when the process exits): a log line costs the request a serialisation, not a write(2).
 */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names rather than pino's numbers: readable, and what most collectors expect.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}

/** A logger that writes nothing: the default where no logger is configured (tests, embedding). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
