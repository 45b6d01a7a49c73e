import { fingerprintOf, listTokens, revokeTokens } from '../../auth/manage.js';
import type { RevokeBy, TokenListing } from '../../auth/manage.js';
import { createToken, checkPrincipalName, checkScope, hashToken, isRole, ROLES } from '../../auth/tokens.js';
import { TokenApi } from '../../client/tokens.js';
import type { RemoteToken } from '../../client/tokens.js';
import type { Principal, Role } from '../../storage/types.js';
import { LogError } from '../../util/errors.js';
import { openStore, requireStore } from '../datadir.js';
import { parse, required, requiredToken, UsageError } from '../usage.js';
import type { Command } from '../usage.js';

const WHERE = '(--data DIR | --url URL --token ADMIN_TOKEN)';
const USAGE = `Usage: sealtrail token create ${WHERE} --role ROLE --name NAME [--tenant T]...
       sealtrail token list   ${WHERE} [--json]
       sealtrail token revoke ${WHERE} (--name NAME | --fingerprint HEX)`;

/** Where the tokens are: a stopped log's store, or a serving log's token API. */
interface Tokens {
  create(principal: Pick<Principal, 'name' | 'role' | 'tenants'>): Promise<{ token: string; listing: TokenListing }>;
  list(): Promise<TokenListing[]>;
  revoke(by: RevokeBy): Promise<TokenListing[]>;
}

export const token: Command = {
  name: 'token',
  summary: 'create, list and revoke bearer tokens',
  help: `${USAGE}

create  Creates a bearer token for NAME with ROLE and prints it alone on the last line of stdout.
        Only a hash of the token is stored: keep the printed token, it cannot be shown again.
list    Lists the tokens: name, role, tenants, creation time and a short fingerprint of the
        token's stored hash (never the token).
revoke  Deletes every token of NAME, or the one token whose fingerprint starts with HEX.

With --data, the server must be stopped (the store is opened exclusively). With --url, a serving
log makes the change at once (POST/GET/DELETE /v1/tokens), given an admin token for every tenant
(one not scoped to tenants); it refuses to revoke the last such admin token.

Roles: submitter (add entries), auditor (read records), admin (read records; manage the log).
NAME is what the log records as the submitter of every entry sent with a submitter token: 1 to 64
characters, letters, digits and . _ @ -.

Options:
  --data DIR          the data directory of a stopped log
  --url URL           the base URL of a serving log…
  --token TOKEN       …and an admin token for every tenant (default: $SEALTRAIL_TOKEN)
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
        url: { type: 'string' },
        token: { type: 'string' },
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
    const where = ['data', 'url', 'token'];
    const allowed: Record<typeof sub, readonly string[]> = {
      create: [...where, 'role', 'name', 'tenant'],
      list: [...where, 'json'],
      revoke: [...where, 'name', 'fingerprint'],
    };
    const extra = Object.keys(values).filter((k) => k !== 'help' && !allowed[sub].includes(k));
    if (extra.length > 0) throw new UsageError(`token ${sub} takes no ${extra.map((k) => `--${k}`).join(', ')}`);
    if ((values.data === undefined) === (values.url === undefined)) {
      throw new UsageError(`token ${sub} takes either --data DIR (a stopped log) or --url URL with --token (a serving log)`);
    }
    if (values.url === undefined && values.token !== undefined) throw new UsageError('--token goes with --url; with --data no token is needed');
    const remote = values.url === undefined ? undefined : new TokenApi(values.url, requiredToken(values.token));

    // Checked here too, so that a bad request is a usage error (exit 2) before anything is opened.
    let wanted: Pick<Principal, 'name' | 'role' | 'tenants'> | undefined;
    if (sub === 'create') {
      const role = required(values.role, '--role');
      const name = required(values.name, '--name');
      if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
      const problem = checkPrincipalName(name);
      if (problem) throw new UsageError(`--name ${JSON.stringify(name)}: ${problem}`);
      const tenants = values.tenant === undefined ? undefined : [...new Set(values.tenant)];
      const scopeProblem = checkScope(role, tenants);
      if (scopeProblem) throw new UsageError(`--tenant: ${scopeProblem}`);
      wanted = { name, role, ...(tenants ? { tenants } : {}) };
    }
    let by: RevokeBy | undefined;
    if (sub === 'revoke') {
      if ((values.name === undefined) === (values.fingerprint === undefined)) {
        throw new UsageError('token revoke takes one of --name NAME or --fingerprint HEX');
      }
      by = values.name !== undefined ? { name: values.name } : { fingerprint: values.fingerprint! };
    }

    return withTokens(remote ?? required(values.data, '--data'), async (tokens) => {
      if (wanted) {
        const { token: secret, listing } = await tokens.create(wanted);
        const scope = listing.tenants ? ` reading tenants ${listing.tenants.map((t) => JSON.stringify(t)).join(', ')}` : '';
        console.error(`created a ${listing.role} token for ${listing.name}${scope} (fingerprint ${listing.fingerprint}); it is shown once, store it now:`);
        console.log(secret);
      } else if (by) {
        for (const t of await tokens.revoke(by)) console.log(`revoked the ${t.role} token ${t.fingerprint} of ${t.name}`);
      } else {
        const listed = await tokens.list();
        if (values.json) {
          console.log(JSON.stringify(listed.map((t) => ({ ...t, tenants: t.tenants ?? null, createdAt: new Date(t.createdAt).toISOString() }))));
        } else {
          printTable(listed);
        }
      }
      return 0;
    });
  },
};

/** Runs `body` on the tokens of a stopped log's data directory, or of a serving log's API. */
async function withTokens(where: string | TokenApi, body: (tokens: Tokens) => Promise<number>): Promise<number> {
  if (where instanceof TokenApi) return body(remoteTokens(where));
  const store = await openStore(await requireStore(where));
  try {
    return await body({
      async create(principal) {
        const createdAt = Date.now();
        const token = await createToken(store, { ...principal, createdAt });
        return { token, listing: { ...principal, tenants: principal.tenants, createdAt, fingerprint: fingerprintOf(hashToken(token)) } };
      },
      list: () => listTokens(store),
      revoke: (by) => revokeTokens(store, by),
    });
  } catch (e) {
    // Nothing matched, or an ambiguous fingerprint: a failure (exit 1) with the reason.
    if (e instanceof LogError) throw new Error(`${e.message} (see: sealtrail token list)`);
    throw e;
  } finally {
    await store.close();
  }
}

function remoteTokens(api: TokenApi): Tokens {
  const listing = (t: RemoteToken): TokenListing => ({
    name: t.name,
    role: t.role as Role,
    tenants: t.tenants ?? undefined,
    createdAt: Date.parse(t.created_at),
    fingerprint: t.fingerprint,
  });
  return {
    async create(principal) {
      const { token, ...rest } = await api.create(principal.tenants ? principal : { name: principal.name, role: principal.role });
      return { token, listing: listing(rest) };
    },
    list: async () => (await api.list()).map(listing),
    revoke: async (by) => (await api.revoke(by)).map(listing),
  };
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
