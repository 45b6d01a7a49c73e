/**
 * @module
 * `sealtrail witness anchors`: what the witness anchored where, with each sink's receipt or error.
 */
import { printAnchors } from '../anchor-print.js';
import { parse, required } from '../../cli/usage.js';
import type { Command } from '../../cli/usage.js';

export const anchorsCommand: Command = {
  name: 'anchors',
  summary: 'list the anchors published, per sink, with receipts',
  help: `Usage: sealtrail witness anchors --data DIR [--json]

Lists every anchor record this witness published (sealtrail.anchor/v1, PROTOCOL §7) and, for each
configured sink, whether it was delivered or is still pending (attempts, last error), with the
receipt a sealtrail log sink returned. The witness must be stopped: its anchor store is opened
exclusively.

Options:
  --data DIR    the witness's data directory
  --json        print {"anchors": [...]} with the full records and receipts
  -h, --help    show this help`,
  async run(argv) {
    const { values } = parse(argv, { data: { type: 'string' }, json: { type: 'boolean' } });
    return printAnchors(required(values.data, '--data'), values.json === true);
  },
};
