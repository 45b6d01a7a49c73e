/**
 * @module
 * Listing and revoking tokens. A token is never shown again after it is created; what identifies
 * one afterwards is its principal's name or a short fingerprint of its stored hash.
 */
import { toHex } from '../util/bytes.js';
import { LogError } from '../util/errors.js';
import type { LogStore, Role, StoredPrincipal } from '../storage/types.js';

/** Hex digits of the token hash shown as its fingerprint: enough to tell a log's tokens apart. */
const FINGERPRINT_HEX = 12;
const FINGERPRINT_RE = /^[0-9a-f]{4,64}$/;

export interface TokenListing {
  readonly name: string;
  readonly role: Role;
  /** undefined: every tenant. */
  readonly tenants: readonly string[] | undefined;
  readonly createdAt: number;
  readonly fingerprint: string;
}

/** The first hex digits of the token's SHA-256: not the token, and of no use to obtain it. */
export function fingerprintOf(tokenHash: Uint8Array): string {
  return toHex(tokenHash).slice(0, FINGERPRINT_HEX);
}

export function listingOf({ tokenHash, principal: p }: StoredPrincipal): TokenListing {
  return { name: p.name, role: p.role, tenants: p.tenants, createdAt: p.createdAt, fingerprint: fingerprintOf(tokenHash) };
}

/** Every stored token, oldest first (then by name). */
export async function listTokens(store: LogStore): Promise<TokenListing[]> {
  return (await store.listPrincipals())
    .map(listingOf)
    .sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.fingerprint < b.fingerprint ? -1 : 1));
}

/** What to revoke: every token of a principal, or the one token with a fingerprint (prefix). */
export type RevokeBy = { readonly name: string } | { readonly fingerprint: string };

/**
 * The stored tokens `by` selects: every token of the principal `name`, or the one token whose
 * fingerprint starts with `fingerprint` (which must then match exactly one). Throws a LogError
 * saying why if nothing matches (notFound) or the fingerprint is malformed or ambiguous (malformed).
 */
export async function matchTokens(store: LogStore, by: RevokeBy): Promise<StoredPrincipal[]> {
  const stored = await store.listPrincipals();
  if ('name' in by) {
    const matched = stored.filter((s) => s.principal.name === by.name);
    if (matched.length === 0) throw new LogError('notFound', `no token has the name ${JSON.stringify(by.name)}`);
    return matched;
  }
  const prefix = by.fingerprint.toLowerCase();
  if (!FINGERPRINT_RE.test(prefix)) {
    throw new LogError('malformed', `a fingerprint is 4 to 64 hex digits, as token listings show them; got ${JSON.stringify(by.fingerprint.slice(0, 80))}`);
  }
  const matched = stored.filter((s) => toHex(s.tokenHash).startsWith(prefix));
  if (matched.length === 0) throw new LogError('notFound', `no token has the fingerprint ${prefix}`);
  if (matched.length > 1) throw new LogError('malformed', `${matched.length} tokens have fingerprints starting with ${prefix}; give more digits`);
  return matched;
}

/**
 * Revokes what `by` selects (see matchTokens, whose errors it throws, revoking nothing then) in
 * the store alone: for a log that is not serving. A serving log revokes through its Authenticator.
 */
export async function revokeTokens(store: LogStore, by: RevokeBy): Promise<TokenListing[]> {
  const matched = await matchTokens(store, by);
  await store.deletePrincipals(matched.map((s) => s.tokenHash));
  return matched.map(listingOf);
}
