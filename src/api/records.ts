/**
 * @module
 * Record reads for auditors (issue 4 items 1–2): a logged record's values and salts, with its leaf
 * and an inclusion proof into the current checkpoint, by index or by `event_id`. Each answer is a
 * superset of a receipt (PROTOCOL §4), so the offline receipt check verifies it as it is.
 *
 * Reads come from the published tree only. A token scoped to tenants sees a record outside its
 * tenants exactly as a missing one: same status, same code, and a message that depends only on what
 * the client sent and on the token, never on the record.
 */
import type { Hono } from 'hono';
import { mayRead, tenantOf } from '../auth/scope.js';
import type { Authenticator } from '../auth/tokens.js';
import type { Log } from '../log/log.js';
import { formatReceipt } from '../log/receipt.js';
import type { Receipt } from '../log/receipt.js';
import { hashLeaf } from '../merkle/index.js';
import { decodeLeaf } from '../record/index.js';
import type { JsonValue, LeafKind } from '../record/index.js';
import type { Principal, Role, TreeHead } from '../storage/types.js';
import { LogError } from '../util/errors.js';
import { parseUint, stringParam } from './params.js';
import { notePrincipal } from './observability.js';

/** Roles that may read records. */
const READERS: readonly Role[] = ['auditor', 'admin'];
/** An event_id lookup answers at most this many records, the earliest in log order… */
export const MAX_RECORDS_PER_EVENT_ID = 100;
/** …found among at most this many entries with that event_id (a scope may hide some of them). */
const MAX_EVENT_ID_SCAN = 1000;

/** What GET /v1/records answers for one entry: a receipt, plus what the receipt's holder already had. */
export interface RecordRead extends Receipt {
  readonly kind: LeafKind;
  /** The leaf's `submitter`. */
  readonly submitter: string;
  /** The record's fields, by name, as JSON values (erased fields are absent). */
  readonly values: Readonly<Record<string, JsonValue>>;
  /**
   * Erased fields (PROTOCOL §6): the field's commitment, which still enters the record digest, and
   * the index of the erasure entry that says why. Empty until erasure exists.
   */
  readonly erased: Readonly<Record<string, { readonly commitment: string; readonly erasure_index: number }>>;
}

export function registerRecordRoutes(app: Hono, options: { readonly log: Log; readonly auth: Authenticator }): void {
  const { log, auth } = options;

  app.get('/v1/records/:index', async (c) => {
    const principal = notePrincipal(c, auth.authenticate(c.req.header('authorization'), READERS));
    const index = parseUint(c.req.param('index'), 'index');
    const head = log.head;
    const read = await readRecord(log, principal, index, head);
    if (!read) throw new LogError('notFound', `no record at index ${index}${hiddenOrAbsent(principal, head)}`);
    c.header('Cache-Control', 'no-store');
    return c.json(read);
  });

  app.get('/v1/records', async (c) => {
    const principal = notePrincipal(c, auth.authenticate(c.req.header('authorization'), READERS));
    const eventId = stringParam(c, 'event_id');
    const head = log.head;
    const records: RecordRead[] = [];
    for (const index of await log.indicesByEventId(eventId, head.size, MAX_EVENT_ID_SCAN)) {
      const read = await readRecord(log, principal, index, head);
      if (read) records.push(read);
      if (records.length === MAX_RECORDS_PER_EVENT_ID) break;
    }
    if (records.length === 0) {
      throw new LogError('notFound', `no record with event_id ${JSON.stringify(eventId.slice(0, 100))}${hiddenOrAbsent(principal, head)}`);
    }
    c.header('Cache-Control', 'no-store');
    return c.json({ records });
  });
}

/**
 * The end of a notFound message. For a scoped token it names the token's tenants and nothing about
 * the log, so that a record of another tenant and no record at all read the same.
 */
function hiddenOrAbsent(principal: Principal, head: TreeHead): string {
  if (principal.tenants !== undefined) {
    return ` among the records of tenant_id ${principal.tenants.map((t) => JSON.stringify(t)).join(', ')}, which this token may read`;
  }
  return ` in the published tree (size ${head.size})`;
}

/** Entry `index` of the tree of `head` as `principal` may see it, or undefined if it may not (or there is none). */
async function readRecord(log: Log, principal: Principal, index: number, head: TreeHead): Promise<RecordRead | undefined> {
  const fields = await log.storedRecord(index, head.size);
  if (!fields || !mayRead(principal, tenantOf(fields))) return undefined;
  const { leafInput, auditPath } = await log.entryAndProof(index, head.size);
  const leaf = decodeLeaf(leafInput);
  const receipt = formatReceipt({
    index,
    timestamp: leaf.time,
    leafHash: hashLeaf(leafInput),
    leafInput,
    fields,
    checkpoint: head.checkpoint,
    auditPath,
  });
  return {
    ...receipt,
    kind: leaf.kind,
    submitter: leaf.submitter,
    // Canonical (RFC 8785) text is JSON, and the log took only I-JSON, so JSON.parse is exact.
    // Object.fromEntries defines own properties: a field named "__proto__" stays a field.
    values: Object.fromEntries(fields.map((f) => [f.name, JSON.parse(f.jcs) as JsonValue])),
    erased: {},
  };
}
