/**
 * @module
 * SHA-256 through node:crypto (OpenSSL). bench/hash.bench.ts compares it with @noble/hashes.
 */
import { createHash, hash as oneShot } from 'node:crypto';

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) {
    const digest = oneShot('sha256', parts[0]!, 'buffer');
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
  }
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const digest = h.digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}
