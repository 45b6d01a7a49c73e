import { MASTER_KEY_ENV, findMasterKey, initLog } from '../datadir.js';
import { checkOrigin } from '../origin.js';
import { parse, required, UsageError } from '../usage.js';
import type { Command } from '../usage.js';

export const init: Command = {
  name: 'init',
  summary: 'create a new log: a signing key and an empty store',
  help: `Usage: sealtrail init --data DIR --origin NAME [--master-key FILE]

Creates a new log in DIR: an Ed25519 signing key (DIR/log.key, mode 0600), its verifier key
(DIR/log.vkey, printed too) and an empty store (DIR/db). NAME is the log's origin: the first line of
every checkpoint and the name of its key, e.g. "audit.example.com/prod". It cannot change later.
Records are encrypted at rest under the master key: --master-key FILE, else ${MASTER_KEY_ENV}
(base64), else DIR.master-key, which is created (mode 0600) if missing. It is never stored in DIR.

Options:
  --data DIR      the data directory (created if missing; must not hold a log)
  --origin NAME   the log's origin: printable, no spaces or '+'
  --master-key FILE  the master key (32 bytes, raw or base64; mode 0600; outside DIR)
  -h, --help      show this help`,
  async run(argv) {
    const { values } = parse(argv, { data: { type: 'string' }, origin: { type: 'string' }, 'master-key': { type: 'string' } });
    const dir = required(values.data, '--data');
    const origin = required(values.origin, '--origin');
    const problem = checkOrigin(origin);
    if (problem) throw new UsageError(`--origin ${JSON.stringify(origin)}: ${problem}`);
    const { verifierKey, createdMasterKey } = await initLog(dir, origin, (await findMasterKey(dir, values['master-key']))?.key);
    console.log(`created log ${origin} in ${dir}`);
    if (createdMasterKey !== undefined) console.log(`created its master key ${createdMasterKey} (mode 0600), outside ${dir}: keep it, records cannot be read without it`);
    console.log(`verifier key (also in ${dir}/log.vkey):`);
    console.log(verifierKey);
    return 0;
  },
};
