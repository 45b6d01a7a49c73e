import { readFile } from 'node:fs/promises';
import { ReceiptError, verifyReceipt } from '../../client/receipt.js';
import { parse, required, UsageError } from '../usage.js';
import type { Command } from '../usage.js';

export const verifyReceiptCommand: Command = {
  name: 'verify-receipt',
  summary: 'verify a receipt offline against its record and the log key',
  help: `Usage: sealtrail verify-receipt --vkey VKEY RECEIPT.json RECORD.json

Checks, offline and with nothing else, that RECORD.json (the record as submitted) was logged: its
salted field commitments match the receipt's leaf, the leaf hash is right, the checkpoint is signed
by the log key, and the audit path leads from the leaf to the checkpoint's root. Says which check
failed when one does. Exit code 0 when the receipt verifies, 1 when it does not.

Options:
  --vkey VKEY    the log's verifier key, or a file holding it (e.g. DATA/log.vkey)
  -h, --help     show this help`,
  async run(argv) {
    const { values, positionals } = parse(argv, { vkey: { type: 'string' } }, true);
    const vkeyArg = required(values.vkey, '--vkey');
    if (positionals.length !== 2) throw new UsageError('expected two files: RECEIPT.json RECORD.json');
    const [receiptPath, recordPath] = positionals as [string, string];
    const verifierKey = await readFile(vkeyArg, 'utf8').then(
      (t) => t.trim(),
      () => vkeyArg,
    );
    let receipt: unknown;
    try {
      receipt = JSON.parse(await readFile(receiptPath, 'utf8'));
    } catch (e) {
      console.error(`FAIL receipt: cannot read ${receiptPath} as JSON: ${(e as Error).message}`);
      return 1;
    }
    const record = await readFile(recordPath);
    try {
      const v = verifyReceipt(receipt, new Uint8Array(record), verifierKey);
      console.log(
        `OK: the record (${v.fields.length} field${v.fields.length === 1 ? '' : 's'}) is entry ${v.leafIndex} of ${v.origin}, ` +
          `logged at ${new Date(v.timestamp).toISOString()} for ${v.submitter}, included in the signed checkpoint of tree size ${v.treeSize}`,
      );
      return 0;
    } catch (e) {
      if (e instanceof ReceiptError) {
        console.error(`FAIL ${e.step}: ${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};
