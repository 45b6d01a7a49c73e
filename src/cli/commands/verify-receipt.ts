import { readFile } from 'node:fs/promises';
import { ReceiptError, verifyReceipt } from '../../client/receipt.js';
import { checkWitnessed } from '../../client/witnessed.js';
import { keyOrFile } from '../keyarg.js';
import { parseVerifierKey } from '../../note/index.js';
import { parse, required, UsageError } from '../usage.js';
import type { Command } from '../usage.js';

export const verifyReceiptCommand: Command = {
  name: 'verify-receipt',
  summary: 'verify a receipt offline against its record and the log key',
  help: `Usage: sealtrail verify-receipt --vkey VKEY [--witness VKEY]... [--min-witnesses K] [--url URL] RECEIPT.json RECORD.json

Checks, offline and with nothing else, that RECORD.json (the record as submitted) was logged: its
salted field commitments match the receipt's leaf, the leaf hash is right, the checkpoint is signed
by the log key, and the audit path leads from the leaf to the checkpoint's root. Says which check
failed when one does. Exit code 0 when the receipt verifies, 1 when it does not.

With --witness, also requires the checkpoint to be cosigned by at least K of those witnesses
(all of them unless --min-witnesses says otherwise). A receipt's own checkpoint is usually not yet
cosigned: then --url fetches the log's current cosigned checkpoint and a consistency proof from the
receipt's checkpoint to it, and verifies both.

Options:
  --vkey VKEY          the log's verifier key, or a file holding it (e.g. DATA/log.vkey)
  --witness VKEY       a witness's verifier key (type 0x04), or a file holding it; repeatable
  --min-witnesses K    how many of the witnesses must have cosigned (default: all given)
  --url URL            the log's base URL, for a later cosigned checkpoint
  -h, --help           show this help`,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { vkey: { type: 'string' }, witness: { type: 'string', multiple: true }, 'min-witnesses': { type: 'string' }, url: { type: 'string' } },
      true,
    );
    const vkeyArg = required(values.vkey, '--vkey');
    if (positionals.length !== 2) throw new UsageError('expected two files: RECEIPT.json RECORD.json');
    const witnessArgs = values.witness ?? [];
    const minText = values['min-witnesses'];
    if (minText !== undefined && !/^[0-9]{1,3}$/.test(minText)) throw new UsageError('--min-witnesses must be a number');
    const minWitnesses = minText === undefined ? witnessArgs.length : Number(minText);
    if (minWitnesses > witnessArgs.length) throw new UsageError(`--min-witnesses ${minWitnesses} is more than the ${witnessArgs.length} --witness keys given`);
    const [receiptPath, recordPath] = positionals as [string, string];
    const verifierKey = await keyOrFile(vkeyArg);
    let receipt: unknown;
    try {
      receipt = JSON.parse(await readFile(receiptPath, 'utf8'));
    } catch (e) {
      console.error(`FAIL receipt: cannot read ${receiptPath} as JSON: ${(e as Error).message}`);
      return 1;
    }
    const record = await readFile(recordPath);
    try {
      const witnesses = await Promise.all(
        witnessArgs.map(async (w) => {
          const key = parseVerifierKey(await keyOrFile(w));
          if (key.type !== 0x04) throw new UsageError(`--witness ${w} is not a witness key (type 0x04)`);
          return key;
        }),
      );
      const v = verifyReceipt(receipt, new Uint8Array(record), verifierKey);
      console.log(
        `OK: the record (${v.fields.length} field${v.fields.length === 1 ? '' : 's'}) is entry ${v.leafIndex} of ${v.origin}, ` +
          `logged at ${new Date(v.timestamp).toISOString()} for ${v.submitter}, included in the signed checkpoint of tree size ${v.treeSize}`,
      );
      if (witnesses.length > 0 && minWitnesses > 0) {
        const w = await checkWitnessed({
          receiptCheckpoint: (receipt as { checkpoint: string }).checkpoint,
          logVerifier: parseVerifierKey(verifierKey),
          witnesses,
          minWitnesses,
          url: values.url,
        });
        console.log(
          `OK: witnessed by ${w.witnesses.length} of ${witnesses.length} witnesses (${w.witnesses.join(', ')}) ` +
            (w.viaLaterCheckpoint
              ? `on the log's checkpoint of tree size ${w.checkpoint.size}, proven consistent with the receipt's`
              : "on the receipt's own checkpoint"),
        );
      }
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
