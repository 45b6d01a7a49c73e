import { createToken, checkPrincipalName, isRole, ROLES } from '../../auth/tokens.js';
import { dataPaths, exists, openStore } from '../datadir.js';
import { parse, required, UsageError } from '../usage.js';
import type { Command } from '../usage.js';

export const token: Command = {
  name: 'token',
  summary: 'create bearer tokens',
  help: `Usage: sealtrail token create --data DIR --role ROLE --name NAME

Creates a bearer token for NAME with ROLE (${ROLES.join(', ')}) and prints it alone on the last line of
stdout. Only a hash of the token is stored: keep the printed token, it cannot be shown again.
The server must be stopped (the store is opened exclusively).

NAME is what the log records as the submitter of every entry sent with this token: 1 to 64
characters, letters, digits and . _ @ -.

Options:
  --data DIR     the data directory
  --role ROLE    ${ROLES.join(' | ')}
  --name NAME    the principal's name
  -h, --help     show this help`,
  async run(argv) {
    const { values, positionals } = parse(argv, { data: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' } }, true);
    if (positionals[0] !== 'create' || positionals.length !== 1) throw new UsageError('expected: sealtrail token create --data DIR --role ROLE --name NAME');
    const dir = required(values.data, '--data');
    const role = required(values.role, '--role');
    const name = required(values.name, '--name');
    if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
    const problem = checkPrincipalName(name);
    if (problem) throw new UsageError(`--name ${JSON.stringify(name)}: ${problem}`);
    const paths = dataPaths(dir);
    if (!(await exists(paths.db))) throw new Error(`no log in ${dir} (create one with: sealtrail init --data ${dir} --origin NAME)`);
    const store = await openStore(paths.db);
    try {
      const secret = await createToken(store, { name, role, createdAt: Date.now() });
      console.error(`created a ${role} token for ${name}; it is shown once, store it now:`);
      console.log(secret);
    } finally {
      await store.close();
    }
    return 0;
  },
};
