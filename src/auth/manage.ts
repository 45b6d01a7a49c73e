/**
 * @module
 * Listing and revoking tokens. A token is never shown again after it is created; what identifies
 * one afterwards is its principal's name or a short fingerprint of its stored hash.
 */
import { toHex } from '../util/bytes.js';
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

function listing({ tokenHash, principal: p }: StoredPrincipal): TokenListing {
  return { name: p.name, role: p.role, tenants: p.tenants, createdAt: p.createdAt, fingerprint: fingerprintOf(tokenHash) };
}

/** Every stored token, oldest first (then by name). */
export async function listTokens(store: LogStore): Promise<TokenListing[]> {
  return (await store.listPrincipals())
    .map(listing)
    .sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.fingerprint < b.fingerprint ? -1 : 1));
}

/**
 * Revokes every token of the principal `name`, or the one token whose fingerprint starts with
 * `fingerprint` (which must then match exactly one). Returns what was revoked; throws a RangeError
 * saying why if nothing matches or a fingerprint is ambiguous, and then revokes nothing.
 */
export async function revokeTokens(store: LogStore, by: { name: string } | { fingerprint: string }): Promise<TokenListing[]> {
  const stored = await store.listPrincipals();
  let matched: StoredPrincipal[];
  if ('name' in by) {
    matched = stored.filter((s) => s.principal.name === by.name);
    if (matched.length === 0) throw new RangeError(`no token has the name ${JSON.stringify(by.name)} (see: sealtrail token list)`);
  } else {
    const prefix = by.fingerprint.toLowerCase();
    if (!FINGERPRINT_RE.test(prefix)) throw new RangeError(`a fingerprint is 4 or more hex digits as sealtrail token list shows them, got ${JSON.stringify(by.fingerprint)}`);
    matched = stored.filter((s) => toHex(s.tokenHash).startsWith(prefix));
    if (matched.length === 0) throw new RangeError(`no token has the fingerprint ${prefix} (see: sealtrail token list)`);
    if (matched.length > 1) throw new RangeError(`${matched.length} tokens have fingerprints starting with ${prefix}; give more digits`);
  }
  await store.deletePrincipals(matched.map((s) => s.tokenHash));
  return matched.map(listing);
}
