/**
 * @module
 * What went wrong when `fetch` failed: it says only "fetch failed", and the reason (ECONNREFUSED, a
 * certificate it does not trust, …) is in its cause. For an untrusted certificate, says how to
 * trust a private CA: the clients use Node's own trust store, which `NODE_EXTRA_CA_CERTS` extends.
 */

const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

export function describeFetchFailure(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code;
  const reason = code ?? e.cause?.message;
  const base = reason === undefined ? String(e.message ?? error) : `${e.message} (${reason})`;
  if (code !== undefined && UNTRUSTED.has(code)) {
    return `${base}: the server's certificate is not signed by a CA this machine trusts; to trust a private CA, run with NODE_EXTRA_CA_CERTS=/path/to/ca.pem`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `${base}: the server's certificate is not for this host name; use the name the certificate names`;
  return base;
}
