/**
 * @module
 * `sealtrail verify-bundle`: offline verification of an evidence bundle (spec/formats.md §19).
 */
import { stat } from 'node:fs/promises';
import { BundleError, verifyBundle } from '../../client/bundle-verify.js';
import { ReceiptError } from '../../client/receipt.js';
import { keyOrFile } from '../keyarg.js';
import { parseVerifierKey } from '../../note/index.js';
import type { NoteVerifier } from '../../note/index.js';
import { progressBar } from '../progress.js';
import { parse, required, UsageError } from '../usage.js';
import type { Command } from '../usage.js';

export const verifyBundleCommand: Command = {
  name: 'verify-bundle',
  summary: 'verify an evidence bundle offline, record by record',
  help: `Usage: sealtrail verify-bundle BUNDLE --vkey VKEY [--witness VKEY]... [--min-witnesses K]

Checks, offline, a bundle written by "sealtrail export --format bundle": the checkpoint is signed
by the log key (and cosigned by at least K of the witnesses given, all of them by default), and for
every record, that its values, salts and erased fields' commitments give the leaf's record digest,
that the leaf hash is right, and that the audit path leads from the leaf to the checkpoint's root.
Reads the bundle as a stream: memory does not grow with its size. Names each record that fails and
why, goes on, and ends with a summary. Exit code 0 when every record verifies, 1 when anything
fails, 2 for a usage error. A progress bar is drawn on stderr when it is a terminal.

Options:
  --vkey VKEY          the log's verifier key, or a file holding it (e.g. DATA/log.vkey)
  --witness VKEY       a witness's verifier key (type 0x04), or a file holding it; repeatable
  --min-witnesses K    how many of the witnesses must have cosigned (default: all given)
  -h, --help           show this help`,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { vkey: { type: 'string' }, witness: { type: 'string', multiple: true }, 'min-witnesses': { type: 'string' } },
      true,
    );
    const vkeyArg = required(values.vkey, '--vkey');
    if (positionals.length !== 1) throw new UsageError('expected one file: BUNDLE');
    const path = positionals[0]!;
    const witnessArgs = values.witness ?? [];
    const minText = values['min-witnesses'];
    if (minText !== undefined && !/^[0-9]{1,3}$/.test(minText)) throw new UsageError('--min-witnesses must be a number');
    const minWitnesses = minText === undefined ? witnessArgs.length : Number(minText);
    if (minWitnesses > witnessArgs.length) throw new UsageError(`--min-witnesses ${minWitnesses} is more than the ${witnessArgs.length} --witness keys given`);
    const logVerifier = verifierOf(await keyOrFile(vkeyArg), '--vkey');
    if (logVerifier.type !== 0x01) throw new UsageError('--vkey is not a log key (type 0x01)');
    const witnesses = await Promise.all(
      witnessArgs.map(async (w) => {
        const key = verifierOf(await keyOrFile(w), '--witness');
        if (key.type !== 0x04) throw new UsageError(`--witness ${w} is not a witness key (type 0x04)`);
        return key;
      }),
    );
    let size;
    try {
      size = (await stat(path)).size;
    } catch (e) {
      console.error(`sealtrail verify-bundle: cannot read ${path}: ${(e as Error).message}`);
      return 1;
    }

    const progress = progressBar('records');
    let bytes = 0;
    let records = 0;
    try {
      const result = await verifyBundle({
        path,
        logVerifier,
        witnesses,
        minWitnesses,
        onBytes: (n) => (bytes += n),
        onRecord: () => progress.update(bytes, size, ++records),
        onFailure: (message) => {
          progress.clear();
          console.log(`FAIL ${message}`);
        },
      });
      progress.finish();
      const { checkpoint, failures } = result;
      const witnessed = result.witnesses.length > 0 ? `, cosigned by ${result.witnesses.length} witness${result.witnesses.length === 1 ? '' : 'es'} (${result.witnesses.join(', ')})` : '';
      const where = `the checkpoint of tree size ${checkpoint.size} of ${checkpoint.origin}${witnessed}`;
      if (failures === 0) {
        console.log(`OK: all ${result.records} record${result.records === 1 ? '' : 's'} of the bundle verify against ${where}`);
        return 0;
      }
      console.log(`FAIL: ${failures} failure${failures === 1 ? '' : 's'} among the ${result.records} record${result.records === 1 ? '' : 's'} of the bundle, checked against ${where}`);
      return 1;
    } catch (e) {
      progress.clear();
      if (e instanceof BundleError || e instanceof ReceiptError) {
        console.log(`FAIL bundle: ${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};

function verifierOf(key: string, flag: string): NoteVerifier {
  try {
    return parseVerifierKey(key);
  } catch (e) {
    throw new UsageError(`${flag} is not a verifier key: ${(e as Error).message}`);
  }
}
