import { listTokens, revokeTokens } from '../../auth/manage.js';
import type { TokenListing } from '../../auth/manage.js';
import { createToken, checkPrincipalName, checkScope, isRole, ROLES } from '../../auth/tokens.js';
import type { LevelStore } from '../../storage/level.js';
import { dataPaths, exists, openStore } from '../datadir.js';
import { parse, required, UsageError } from '../usage.js';
import type { Command } from '../usage.js';

const USAGE = `Usage: sealtrail token create --data DIR --role ROLE --name NAME [--tenant T]...
       sealtrail token list   --data DIR [--json]
       sealtrail token revoke --data DIR (--name NAME | --fingerprint HEX)`;

export const token: Command = {
  name: 'token',
  summary: 'create, list and revoke bearer tokens',
  help: `${USAGE}

create  Creates a bearer token for NAME with ROLE and prints it alone on the last line of stdout.
        Only a hash of the token is stored: keep the printed token, it cannot be shown again.
list    Lists the tokens: name, role, tenants, creation time and a short fingerprint of the
        token's stored hash (never the token).
revoke  Deletes every token of NAME, or the one token whose fingerprint starts with HEX.

The server must be stopped (the store is opened exclusively); it reads the tokens when it starts.

Roles: submitter (add entries), auditor (read records), admin (read records; manage the log).
NAME is what the log records as the submitter of every entry sent with a submitter token: 1 to 64
characters, letters, digits and . _ @ -.

Options:
  --data DIR          the data directory
  --role ROLE         ${ROLES.join(' | ')}
  --name NAME         the principal's name
  --tenant T          (create; auditor and admin; repeatable) read only the records whose top-level
                      tenant_id is T; without it the token reads every tenant's records
  --fingerprint HEX   (revoke) the token's fingerprint, or a unique prefix of at least 4 digits
  --json              (list) one JSON array instead of a table
  -h, --help          show this help`,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      {
        data: { type: 'string' },
        role: { type: 'string' },
        name: { type: 'string' },
        tenant: { type: 'string', multiple: true },
        fingerprint: { type: 'string' },
        json: { type: 'boolean' },
      },
      true,
    );
    const sub = positionals[0];
    if (positionals.length !== 1 || (sub !== 'create' && sub !== 'list' && sub !== 'revoke')) {
      throw new UsageError(`expected one of:\n${USAGE}`);
    }
    const allowed: Record<typeof sub, readonly string[]> = {
      create: ['data', 'role', 'name', 'tenant'],
      list: ['data', 'json'],
      revoke: ['data', 'name', 'fingerprint'],
    };
    const extra = Object.keys(values).filter((k) => k !== 'help' && !allowed[sub].includes(k));
    if (extra.length > 0) throw new UsageError(`token ${sub} takes no ${extra.map((k) => `--${k}`).join(', ')}`);
    const dir = required(values.data, '--data');

    if (sub === 'create') {
      const role = required(values.role, '--role');
      const name = required(values.name, '--name');
      if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
      const problem = checkPrincipalName(name);
      if (problem) throw new UsageError(`--name ${JSON.stringify(name)}: ${problem}`);
      const tenants = values.tenant === undefined ? undefined : [...new Set(values.tenant)];
      const scopeProblem = checkScope(role, tenants);
      if (scopeProblem) throw new UsageError(`--tenant: ${scopeProblem}`);
      return withStore(dir, async (store) => {
        const secret = await createToken(store, { name, role, createdAt: Date.now(), ...(tenants ? { tenants } : {}) });
        const scope = tenants ? ` reading tenants ${tenants.map((t) => JSON.stringify(t)).join(', ')}` : '';
        console.error(`created a ${role} token for ${name}${scope}; it is shown once, store it now:`);
        console.log(secret);
        return 0;
      });
    }

    if (sub === 'list') {
      return withStore(dir, async (store) => {
        const tokens = await listTokens(store);
        if (values.json) {
          console.log(JSON.stringify(tokens.map((t) => ({ ...t, tenants: t.tenants ?? null, createdAt: new Date(t.createdAt).toISOString() }))));
        } else {
          printTable(tokens);
        }
        return 0;
      });
    }

    if ((values.name === undefined) === (values.fingerprint === undefined)) {
      throw new UsageError('token revoke takes one of --name NAME or --fingerprint HEX');
    }
    const by = values.name !== undefined ? { name: values.name } : { fingerprint: values.fingerprint! };
    return withStore(dir, async (store) => {
      const revoked = await revokeTokens(store, by);
      for (const t of revoked) console.log(`revoked the ${t.role} token ${t.fingerprint} of ${t.name}`);
      console.error('a running server still accepts revoked tokens until it is restarted');
      return 0;
    });
  },
};

async function withStore(dir: string, body: (store: LevelStore) => Promise<number>): Promise<number> {
  const paths = dataPaths(dir);
  if (!(await exists(paths.db))) throw new Error(`no log in ${dir} (create one with: sealtrail init --data ${dir} --origin NAME)`);
  const store = await openStore(paths.db);
  try {
    return await body(store);
  } catch (e) {
    // Nothing matched, or an ambiguous fingerprint: a failure (exit 1) with the reason.
    if (e instanceof RangeError) throw new Error(e.message);
    throw e;
  } finally {
    await store.close();
  }
}

function printTable(tokens: readonly TokenListing[]): void {
  if (tokens.length === 0) {
    console.log('no tokens');
    return;
  }
  const rows = [
    ['NAME', 'ROLE', 'TENANTS', 'CREATED', 'FINGERPRINT'],
    ...tokens.map((t) => [
      t.name,
      t.role,
      t.tenants === undefined ? '(all)' : t.tenants.map((x) => JSON.stringify(x)).join(','),
      new Date(t.createdAt).toISOString(),
      t.fingerprint,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}
