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
import { MAX_ENTRIES_PER_READ } from '../log/log.js';
import type { Log } from '../log/log.js';
import { erasedOf, formatReceipt } from '../log/receipt.js';
import type { Receipt } from '../log/receipt.js';
import { hashLeaf } from '../merkle/index.js';
import { decodeLeaf } from '../record/index.js';
import type { JsonValue, LeafKind } from '../record/index.js';
import type { Principal, Role, TreeHead } from '../storage/types.js';
import { isErased } from '../storage/types.js';
import { LogError } from '../util/errors.js';
import { parseUint, stringParam, uintParam } from './params.js';
import { notePrincipal } from './observability.js';
import { registerErasure } from './erase.js';

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
  // Registered first: it answers GET /v1/records when start, end or tree_size is given, and hands
  // every other request on to the event_id lookup below.
  registerRangeRead(app, log, auth);
  registerErasure(app, log, auth);

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

/**
 * Entry `index` of the tree of `head` as `principal` may see it, or undefined if it may not (or there
 * is none). `head.size` may be any published size; `head.checkpoint` is the note the answer carries.
 */
async function readRecord(
  log: Log,
  principal: Principal,
  index: number,
  head: Pick<TreeHead, 'size' | 'checkpoint'>,
): Promise<RecordRead | undefined> {
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
    values: Object.fromEntries(fields.flatMap((f) => (isErased(f) ? [] : [[f.name, JSON.parse(f.jcs) as JsonValue]]))),
    erased: erasedOf(fields),
  };
}

/** One entry of a range read: a RecordRead without `checkpoint` (the range names its tree size instead). */
export type RangeRecord = Omit<RecordRead, 'checkpoint'>;

/** What GET /v1/records?start&end&tree_size answers. */
export interface RangeRead {
  readonly tree_size: number;
  /** The indices examined, inclusive: `records` holds those among them the token may read. */
  readonly start: number;
  readonly end: number;
  readonly records: readonly RangeRecord[];
}

/** How many records of a range read are read from the store at once. */
const RANGE_READ_CONCURRENCY = 64;

/**
 * GET /v1/records?start=S&end=E&tree_size=N (issue 4 item 6, for evidence export): entries S to E
 * inclusive, at most MAX_ENTRIES_PER_READ indices per answer as get-entries, each with its inclusion
 * proof in the tree of size N. N pins every proof of an export to one checkpoint: the exporter takes
 * N from the (cosigned) checkpoint it fetched first, which the log may since have outgrown. Records
 * outside a scoped token's tenants are left out; `start`/`end` say which indices were examined, so
 * the client pages on from `end + 1` whether or not any record was returned.
 */
function registerRangeRead(app: Hono, log: Log, auth: Authenticator): void {
  app.get('/v1/records', async (c, next) => {
    const ranged = ['start', 'end', 'tree_size'].some((name) => c.req.query(name) !== undefined);
    if (!ranged) return next();
    const principal = notePrincipal(c, auth.authenticate(c.req.header('authorization'), READERS));
    if (c.req.query('event_id') !== undefined) {
      throw new LogError('malformed', 'give either event_id, or start, end and tree_size, not both');
    }
    const start = uintParam(c, 'start');
    const end = uintParam(c, 'end');
    const treeSize = uintParam(c, 'tree_size');
    const size = log.head.size;
    if (treeSize > size) throw new LogError('treeSizeUnknown', `tree_size ${treeSize} is larger than the current tree size ${size}`);
    if (treeSize === 0) throw new LogError('treeSizeUnknown', 'tree_size 0 has no entries; ask for a tree size of at least 1');
    if (end < start) throw new LogError('endBeforeStart', `end ${end} is smaller than start ${start}`);
    if (start >= treeSize) throw new LogError('startUnknown', `start ${start} is not below tree_size ${treeSize}`);
    const last = Math.min(end, treeSize - 1, start + MAX_ENTRIES_PER_READ - 1);
    const records: RangeRecord[] = [];
    // No checkpoint is known for an older size: the answer names tree_size and the client holds the note.
    const tree = { size: treeSize, checkpoint: '' };
    for (let from = start; from <= last; from += RANGE_READ_CONCURRENCY) {
      const indices = Array.from({ length: Math.min(RANGE_READ_CONCURRENCY, last - from + 1) }, (_, i) => from + i);
      for (const read of await Promise.all(indices.map((index) => readRecord(log, principal, index, tree)))) {
        if (!read) continue;
        const { checkpoint: _unused, ...record } = read;
        records.push(record);
      }
    }
    c.header('Cache-Control', 'no-store');
    const answer: RangeRead = { tree_size: treeSize, start, end: last, records };
    return c.json(answer);
  });
}
