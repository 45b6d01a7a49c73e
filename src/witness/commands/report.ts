/**
 * @module
 * One human line per log per poll round, on stdout (the JSON log on stderr carries the details).
 */
import type { LogOutcome } from '../watch.js';

export function describeOutcome(outcome: LogOutcome, dir: string): string {
  switch (outcome.status) {
    case 'cosigned':
      return outcome.previousSize === outcome.size
        ? `${outcome.origin}: cosigned tree size ${outcome.size} (unchanged)`
        : `${outcome.origin}: cosigned tree size ${outcome.size} (was ${outcome.previousSize})`;
    case 'fork':
      return `${outcome.origin}: FORK EVIDENCE written to ${outcome.evidenceFile}; the log is refused until an operator runs: sealtrail witness clear --data ${dir} --origin ${outcome.origin}`;
    case 'refused':
      return `${outcome.origin}: refused since fork evidence ${outcome.evidenceFile}; after examining it: sealtrail witness clear --data ${dir} --origin ${outcome.origin}`;
    case 'unavailable':
      return `${outcome.origin}: could not be checked: ${outcome.error}`;
  }
}
