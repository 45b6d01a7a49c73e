/**
 * @module
 * Metrics and structured logs. Everything else sees the log through these two objects.
 */
export { Metrics, UNMATCHED_ROUTE } from './metrics.js';
export type { MetricSources } from './metrics.js';
export { LOG_LEVELS, createLogger, isLogLevel, silentLogger } from './logger.js';
export type { LogLevel, Logger } from './logger.js';
export { sequencerObserver } from './sequencer.js';
