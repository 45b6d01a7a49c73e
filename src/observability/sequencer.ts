/**
 * @module
 * The sequencer's observer as the server wires it: metrics for every pass, a log line for a failed one.
 */
import type { SequencerObserver } from '../log/sequencer.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export function sequencerObserver(metrics: Metrics, logger: Logger): SequencerObserver {
  return {
    passed: (appended, seconds) => metrics.sequencer.passed(appended, seconds),
    failed: (error) => {
      metrics.sequencer.failed(error);
      // The store's error (a LevelDB failure, most likely); it carries no record value.
      logger.error({ err: error }, 'sequencing pass failed; nothing of it was logged');
    },
    // Each refusal also has its request line (status 503); under overload a line per refusal here
    // would only double the volume.
    refused: (entries) => metrics.sequencer.refused(entries),
  };
}
