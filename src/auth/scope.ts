/**
 * @module
 * Tenant scopes. A principal may be limited to the records of some tenants: a record's tenant is
 * its top-level string `tenant_id`. To a scoped principal a record outside its tenants (or with no
 * tenant at all) does not exist: readers answer exactly as they would for a missing record, so that
 * a scope reveals nothing about other tenants, not even that they have records.
 */
import type { Principal, StoredRecordField } from '../storage/types.js';
import { storedString } from '../storage/types.js';

const MAX_TENANT_BYTES = 256;
// No control characters (C0, DEL, C1): tenant names are printed by `sealtrail token list`. No lone
// surrogates either: a record's tenant_id cannot hold one (I-JSON), so such a scope would match nothing.
const REFUSED_RE = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a tenant name cannot be used in a scope, or undefined if it can. */
export function checkTenant(tenant: string): string | undefined {
  const bytes = Buffer.byteLength(tenant, 'utf8');
  if (bytes === 0 || bytes > MAX_TENANT_BYTES || REFUSED_RE.test(tenant)) {
    return `a tenant is 1 to ${MAX_TENANT_BYTES} bytes of UTF-8 without control characters, as the records' tenant_id holds it`;
  }
  return undefined;
}

/** The record's top-level string `tenant_id`, or undefined if it has none (or not a string). */
export function tenantOf(fields: readonly StoredRecordField[]): string | undefined {
  return storedString(fields, 'tenant_id');
}

/** True if `principal` may read a record of `tenant` (undefined: a record without a tenant). */
export function mayRead(principal: Principal, tenant: string | undefined): boolean {
  if (principal.tenants === undefined) return true;
  return tenant !== undefined && principal.tenants.includes(tenant);
}
