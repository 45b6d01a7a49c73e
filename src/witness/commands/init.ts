/**
 * @module
 * `sealtrail witness init`: a new witness key (PROTOCOL §7) and an empty state store.
 */
import { NoteError } from '../../note/index.js';
import { parse, required, UsageError } from '../../cli/usage.js';
import type { Command } from '../../cli/usage.js';
import { initWitness, witnessPaths } from '../datadir.js';

export const initCommand: Command = {
  name: 'init',
  summary: 'create a witness: a cosigning key and an empty state store',
  help: `Usage: sealtrail witness init --data DIR --name NAME

Creates a witness in DIR: an Ed25519 cosigning key (DIR/witness.key, mode 0600), its verifier key
(DIR/witness.vkey, printed too: give it to the logs' users) and an empty state store (DIR/db).
NAME identifies the witness in every cosignature line, e.g. "witness.example.com/w1"; it cannot
change later. The key follows C2SP tlog-cosignature v1.0.1 (signature type 0x04).

Options:
  --data DIR      the witness's data directory (created if missing; must not hold a witness)
  --name NAME     the witness's key name: no spaces, no '+'
  -h, --help      show this help`,
  async run(argv) {
    const { values } = parse(argv, { data: { type: 'string' }, name: { type: 'string' } });
    const dir = required(values.data, '--data');
    const name = required(values.name, '--name');
    let verifierKey: string;
    try {
      ({ verifierKey } = await initWitness(dir, name));
    } catch (e) {
      if (e instanceof NoteError) throw new UsageError(`--name ${JSON.stringify(name)}: ${e.message}`);
      throw e;
    }
    console.log(`created witness ${name} in ${dir}`);
    console.log(`verifier key (also in ${witnessPaths(dir).verifierKey}):`);
    console.log(verifierKey);
    return 0;
  },
};
