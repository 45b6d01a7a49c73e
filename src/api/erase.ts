/**
 * @module
 * `POST /v1/records/<index>/erase` (PROTOCOL §6, admin only): erases fields of a record. Their values
 * and salts leave the store and the disk; their commitments stay, so the record's leaf, the tree and
 * every proof remain valid and its other fields still verify; an erasure entry records why.
 */
import type { Hono } from 'hono';
import type { Authenticator } from '../auth/tokens.js';
import type { Log } from '../log/log.js';
import { parseRecord } from '../record/index.js';
import { LogError } from '../util/errors.js';
import { notePrincipal } from './observability.js';
import { parseUint, readBody } from './params.js';

const MAX_BODY_BYTES = 64 * 1024;
const MAX_REASON_LENGTH = 1024;
const MAX_FIELDS = 256;

export function registerErasure(app: Hono, log: Log, auth: Authenticator): void {
  app.post('/v1/records/:index/erase', async (c) => {
    const principal = notePrincipal(c, auth.authenticate(c.req.header('authorization'), ['admin']));
    const targetIndex = parseUint(c.req.param('index'), 'index');
    const { fields, reason } = parseErasure(await readBody(c, MAX_BODY_BYTES, 'the erasure request'));
    const result = await log.erase({ targetIndex, fields, reason, requestedBy: principal.name });
    return c.json({
      target_index: targetIndex,
      erasure_index: result.erasureIndex,
      erased: result.outcome.erased,
      already_erased: result.outcome.alreadyErased.map((f) => ({ field: f.name, erasure_index: f.erasureIndex })),
      erasure: result.receipt ?? null,
    });
  });
}

/**
 * `{"fields": [names…], "reason": "…"}`, strictly: I-JSON, nothing else, nothing missing. Exported
 * for its property tests (erase.hostile.test.ts); the route is its only caller.
 */
export function parseErasure(body: Uint8Array): { fields: string[]; reason: string } {
  const accepted = `an erasure request is {"fields": [1 to ${MAX_FIELDS} distinct field names], "reason": "1 to ${MAX_REASON_LENGTH} characters"}`;
  const members = new Map(parseRecord(body).map((f) => [f.name, JSON.parse(f.jcs) as unknown]));
  for (const name of members.keys()) {
    if (name !== 'fields' && name !== 'reason') throw new LogError('malformed', `unknown member ${JSON.stringify(name)}; ${accepted}`);
  }
  const fields = members.get('fields');
  const reason = members.get('reason');
  if (!Array.isArray(fields) || fields.length === 0 || fields.length > MAX_FIELDS || !fields.every((f) => typeof f === 'string')) {
    // Say what was sent too: 300 names are an array of field names, and the rule alone hides that.
    const got = !Array.isArray(fields) ? jsonKind(fields) : fields.length === 0 ? 'an empty array' : fields.length > MAX_FIELDS ? `${fields.length} names` : 'an array holding something other than strings';
    throw new LogError('malformed', `"fields" must be an array of field names, got ${got}; ${accepted}`);
  }
  if (new Set(fields).size !== fields.length) throw new LogError('malformed', `"fields" names a field twice; ${accepted}`);
  if (fields.includes('tenant_id')) {
    throw new LogError('malformed', 'tenant_id cannot be erased: it decides which auditors may read the record; erase the personal data fields');
  }
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > MAX_REASON_LENGTH) {
    const got = typeof reason !== 'string' ? jsonKind(reason) : reason.length === 0 ? 'an empty string' : `${reason.length} characters`;
    throw new LogError('malformed', `"reason" must be a non-empty string, got ${got}; ${accepted}`);
  }
  return { fields: fields as string[], reason };
}

/** What a member holds, for messages: never the value itself. */
function jsonKind(value: unknown): string {
  if (value === undefined) return 'nothing (the member is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
