/**
 * @module
 * Bearer tokens. The log stores only SHA-256 of each token: a stolen store does not yield a usable
 * token. Tokens carry 256 bits of CSPRNG output, so a plain hash (no salt, no stretching) is enough.
 */
import { randomBytes } from 'node:crypto';
import { equalBytes, utf8 } from '../util/bytes.js';
import { LogError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import type { LogStore, Principal, Role } from '../storage/types.js';
import { checkTenant } from './scope.js';
import { listTokens, listingOf, matchTokens } from './manage.js';
import type { RevokeBy, TokenListing } from './manage.js';

export const ROLES: readonly Role[] = ['submitter', 'auditor', 'admin'];
const TOKEN_RE = /^st_[A-Za-z0-9_-]{43}$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Principal names appear in leaves (`submitter`) and scope idempotency keys: keep them plain. */
export function checkPrincipalName(name: string): string | undefined {
  return NAME_RE.test(name) ? undefined : 'a name is 1 to 64 characters: letters, digits and . _ @ -, starting with a letter or digit';
}

export function hashToken(token: string): Uint8Array {
  return sha256(utf8(token));
}

/** Why `tenants` cannot scope a token of `role`, or undefined if it can (undefined tenants: unscoped). */
export function checkScope(role: Role, tenants: readonly string[] | undefined): string | undefined {
  if (tenants === undefined) return undefined;
  // A scope limits reads; a submitter reads nothing, and a scope it ignored would mislead.
  if (role === 'submitter') return 'a submitter token cannot be scoped to tenants: scopes limit record reads (roles auditor and admin)';
  if (tenants.length === 0) return 'a scoped token names at least one tenant (leave the scope out for every tenant)';
  for (const t of tenants) {
    const problem = checkTenant(t);
    if (problem) return `tenant ${JSON.stringify(t)}: ${problem}`;
  }
  return undefined;
}

/** Creates a token for `principal`, stores its hash, and returns the token (shown once, never stored). */
export async function createToken(store: LogStore, principal: Principal): Promise<string> {
  const problem = checkPrincipalName(principal.name);
  if (problem) throw new RangeError(`bad token name ${JSON.stringify(principal.name)}: ${problem}`);
  const scopeProblem = checkScope(principal.role, principal.tenants);
  if (scopeProblem) throw new RangeError(`bad tenant scope: ${scopeProblem}`);
  const token = `st_${randomBytes(32).toString('base64url')}`;
  await store.putPrincipal(hashToken(token), principal);
  return token;
}

export class Authenticator {
  /** Token changes, one at a time: each reads the store, writes it, then updates the map. */
  private changes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly store: LogStore,
    private readonly byHash: Map<string, { tokenHash: Uint8Array; principal: Principal }>,
  ) {}

  static async load(store: LogStore): Promise<Authenticator> {
    const map = new Map<string, { tokenHash: Uint8Array; principal: Principal }>();
    for (const p of await store.listPrincipals()) map.set(Buffer.from(p.tokenHash).toString('hex'), p);
    return new Authenticator(store, map);
  }

  get size(): number {
    return this.byHash.size;
  }

  /**
   * Returns the principal for an `Authorization` header value, requiring one of `roles`.
   * The map is keyed by the token's hash, so a lookup reveals nothing about stored tokens through
   * timing; the final comparison is constant-time all the same.
   */
  authenticate(header: string | undefined, roles: readonly Role[]): Principal {
    if (header === undefined) {
      throw new LogError('unauthorized', 'missing Authorization header; send "Authorization: Bearer <token>"');
    }
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match) throw new LogError('unauthorized', 'malformed Authorization header; send "Authorization: Bearer <token>"');
    const token = match[1]!;
    const tokenHash = hashToken(token);
    const entry = TOKEN_RE.test(token) ? this.byHash.get(Buffer.from(tokenHash).toString('hex')) : undefined;
    if (!entry || !equalBytes(entry.tokenHash, tokenHash)) throw new LogError('unauthorized', 'unknown or revoked token');
    if (!roles.includes(entry.principal.role)) {
      throw new LogError('forbidden', `this endpoint needs the role ${roles.join(' or ')}; the token has the role ${entry.principal.role}`);
    }
    return entry.principal;
  }

  /** Creates a token (createToken) that this authenticator accepts from now on. */
  create(principal: Principal): Promise<{ token: string; listing: TokenListing }> {
    return this.serially(async () => {
      const token = await createToken(this.store, principal);
      const tokenHash = hashToken(token);
      this.byHash.set(Buffer.from(tokenHash).toString('hex'), { tokenHash, principal });
      return { token, listing: listingOf({ tokenHash, principal }) };
    });
  }

  /** Every token, as listTokens lists them. */
  list(): Promise<TokenListing[]> {
    return this.serially(() => listTokens(this.store));
  }

  /**
   * Revokes tokens as revokeTokens does; from the moment it resolves, they are refused. `keep`
   * may veto the change by throwing, given what would remain: it runs in the same turn as the
   * write, so no concurrent change can slip between the check and the revocation.
   */
  revoke(by: RevokeBy, keep?: (remaining: readonly Principal[]) => void): Promise<TokenListing[]> {
    return this.serially(async () => {
      const matched = await matchTokens(this.store, by);
      if (keep) {
        const gone = new Set(matched.map((m) => Buffer.from(m.tokenHash).toString('hex')));
        keep([...this.byHash].filter(([hex]) => !gone.has(hex)).map(([, e]) => e.principal));
      }
      await this.store.deletePrincipals(matched.map((m) => m.tokenHash));
      for (const m of matched) this.byHash.delete(Buffer.from(m.tokenHash).toString('hex'));
      return matched.map(listingOf);
    });
  }

  private serially<T>(change: () => Promise<T>): Promise<T> {
    const next = this.changes.then(change);
    this.changes = next.catch(() => undefined);
    return next;
  }
}
