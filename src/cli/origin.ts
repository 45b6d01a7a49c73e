/**
 * @module
 * Origins name logs. They are the key name of the log's signatures, so the C2SP signed-note rules
 * for key names apply (no spaces, no '+'); we further keep to printable ASCII.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

const ORIGIN_RE = /^[\x21-\x2a\x2c-\x7e]{1,255}$/;

export function checkOrigin(origin: string): string | undefined {
  return ORIGIN_RE.test(origin) ? undefined : 'an origin is 1 to 255 printable ASCII characters without spaces or "+"';
}

/** A default origin for a log created without one: unique, so two such logs are never confused. */
export function defaultOrigin(): string {
  const host = hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '') || 'localhost';
  return `${host}/sealtrail/${randomBytes(4).toString('hex')}`;
}
