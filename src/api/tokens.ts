/**
 * @module
 * Token management for admins over HTTP (issue 4 item 1; spec/formats.md §21): list, create and
 * revoke bearer tokens while the log serves. Changes take effect at once, with no restart.
 *
 * Only an admin token for every tenant (unscoped) may manage tokens: a token scoped to tenants must
 * not be able to mint an unscoped one, nor a submitter token writing for any tenant. A revocation
 * that would leave no such admin token is refused, so that the log cannot lock its operators out
 * of this API by accident (the CLI, with the server stopped, can still do anything).
 *
 * Each change is written to the request log line (who did it, to which name, role and fingerprint;
 * never the token).
 */
import type { Context, Hono } from 'hono';
import type { TokenListing } from '../auth/manage.js';
import { checkPrincipalName, checkScope, isRole, ROLES } from '../auth/tokens.js';
import type { Authenticator } from '../auth/tokens.js';
import { parseRecord } from '../record/index.js';
import type { Logger } from '../observability/index.js';
import type { Principal, Role } from '../storage/types.js';
import { LogError } from '../util/errors.js';
import { notePrincipal, requestIdOf } from './observability.js';
import { readBody, stringParam } from './params.js';

const MAX_BODY_BYTES = 64 * 1024;
const MAX_TENANTS = 256;

/** A token as GET /v1/tokens lists it: what identifies it, never the token. */
export interface TokenJson {
  readonly name: string;
  readonly role: Role;
  /** null: every tenant. */
  readonly tenants: readonly string[] | null;
  /** RFC 3339, UTC. */
  readonly created_at: string;
  readonly fingerprint: string;
}

const toJson = (t: TokenListing): TokenJson => ({
  name: t.name,
  role: t.role,
  tenants: t.tenants ?? null,
  created_at: new Date(t.createdAt).toISOString(),
  fingerprint: t.fingerprint,
});

const isManager = (p: Principal): boolean => p.role === 'admin' && p.tenants === undefined;

export function registerTokenRoutes(app: Hono, options: { readonly auth: Authenticator; readonly logger: Logger; readonly now?: () => number }): void {
  const { auth, logger } = options;
  const now = options.now ?? Date.now;

  const manager = (c: Context): Principal => {
    const principal = notePrincipal(c, auth.authenticate(c.req.header('authorization'), ['admin']));
    if (!isManager(principal)) {
      throw new LogError('forbidden', 'managing tokens needs an admin token for every tenant; this admin token is scoped to tenants');
    }
    // Token listings and new tokens are for the admin's eyes only.
    c.header('Cache-Control', 'no-store');
    return principal;
  };

  const noteChange = (c: Context, by: Principal, action: 'created' | 'revoked', t: TokenListing): void => {
    logger.info(
      { req_id: requestIdOf(c), principal: by.name, token_name: t.name, token_role: t.role, token_tenants: t.tenants ?? null, fingerprint: t.fingerprint },
      `token ${action}`,
    );
  };

  app.get('/v1/tokens', async (c) => {
    manager(c);
    return c.json({ tokens: (await auth.list()).map(toJson) });
  });

  app.post('/v1/tokens', async (c) => {
    const by = manager(c);
    const wanted = parseCreation(await readBody(c, MAX_BODY_BYTES, 'the token request'));
    const { token, listing } = await auth.create({ ...wanted, createdAt: now() });
    noteChange(c, by, 'created', listing);
    return c.json({ token, ...toJson(listing) }, 201);
  });

  // Revoke one token by its fingerprint (or a unique prefix of at least 4 hex digits)…
  app.delete('/v1/tokens/:fingerprint', async (c) => {
    const by = manager(c);
    const revoked = await auth.revoke({ fingerprint: c.req.param('fingerprint') }, keepAManager);
    for (const t of revoked) noteChange(c, by, 'revoked', t);
    return c.json({ revoked: revoked.map(toJson) });
  });

  // …or every token of a principal: DELETE /v1/tokens?name=NAME.
  app.delete('/v1/tokens', async (c) => {
    const by = manager(c);
    const name = stringParam(c, 'name');
    const revoked = await auth.revoke({ name }, keepAManager);
    for (const t of revoked) noteChange(c, by, 'revoked', t);
    return c.json({ revoked: revoked.map(toJson) });
  });
}

function keepAManager(remaining: readonly Principal[]): void {
  if (!remaining.some(isManager)) {
    throw new LogError(
      'conflict',
      'this would revoke the last admin token for every tenant, and no one could manage tokens over HTTP; create another one first (or use sealtrail token with the server stopped)',
    );
  }
}

/** `{"name": "…", "role": "…", "tenants": ["…", …]}` (tenants optional), strictly. */
function parseCreation(body: Uint8Array): Pick<Principal, 'name' | 'role' | 'tenants'> {
  const accepted = `a token request is {"name": NAME, "role": ${ROLES.map((r) => `"${r}"`).join(' | ')}, "tenants": [1 to ${MAX_TENANTS} tenants] (optional)}`;
  const members = new Map(parseRecord(body).map((f) => [f.name, JSON.parse(f.jcs) as unknown]));
  for (const name of members.keys()) {
    if (name !== 'name' && name !== 'role' && name !== 'tenants') throw new LogError('malformed', `unknown member ${JSON.stringify(name)}; ${accepted}`);
  }
  const name = members.get('name');
  const role = members.get('role');
  const tenants = members.get('tenants');
  if (typeof name !== 'string') throw new LogError('malformed', `"name" must be a string; ${accepted}`);
  const nameProblem = checkPrincipalName(name);
  if (nameProblem) throw new LogError('malformed', `"name" ${JSON.stringify(name.slice(0, 80))}: ${nameProblem}`);
  if (typeof role !== 'string' || !isRole(role)) throw new LogError('malformed', `"role" must be one of ${ROLES.join(', ')}; ${accepted}`);
  if (tenants !== undefined && (!Array.isArray(tenants) || tenants.length > MAX_TENANTS || !tenants.every((t) => typeof t === 'string'))) {
    throw new LogError('malformed', `"tenants" must be an array of tenant names; ${accepted}`);
  }
  const scope = tenants === undefined ? undefined : [...new Set(tenants as string[])];
  const scopeProblem = checkScope(role, scope);
  if (scopeProblem) throw new LogError('malformed', `"tenants": ${scopeProblem}`);
  return { name, role, ...(scope ? { tenants: scope } : {}) };
}
