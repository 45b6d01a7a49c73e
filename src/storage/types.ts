/**
 * @module
 * What the log keeps, and the one interface through which it keeps it.
 */

/** The latest published tree head: the tree size, its root, and both signed forms of it. */
export interface TreeHead {
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Milliseconds since the Unix epoch; the STH timestamp. */
  readonly timestamp: number;
  /** The C2SP signed checkpoint (signed note text), as the log signed it. */
  readonly checkpoint: string;
  /** The RFC 6962 TLS DigitallySigned tree_head_signature. */
  readonly sthSignature: Uint8Array;
}

export interface LogMeta {
  readonly origin: string;
  readonly createdAt: number;
  /**
   * Storage layout version, for migrations: 1 kept one key per leaf_input, 2 (what this version
   * writes) keeps them in entry bundles of 256. A layout-1 store is migrated when opened.
   */
  readonly layout: number;
}

/** One top-level field of a record as stored: its value (RFC 8785 text) and its salt. */
export interface StoredField {
  readonly name: string;
  readonly jcs: string;
  readonly salt: Uint8Array;
  /** The field's commitment when already computed (at submission), so the store need not hash again. */
  readonly commitment?: Uint8Array;
}

/**
 * A field whose value and salt were erased (PROTOCOL §6): only its commitment is left, which still
 * enters the record digest, and the index of the erasure entry that explains why.
 */
export interface ErasedField {
  readonly name: string;
  readonly commitment: Uint8Array;
  readonly erasureIndex: number;
}

/** A stored record's field: open, or erased. */
export type StoredRecordField = StoredField | ErasedField;

export function isErased(field: StoredRecordField): field is ErasedField {
  // An open field may carry its commitment too; only an erased one has the erasure's index.
  return 'erasureIndex' in field;
}

/** The record's top-level string field `name` (e.g. `tenant_id`, `event_id`), if present, open, and a string. */
export function storedString(fields: readonly StoredRecordField[], name: string): string | undefined {
  const field = fields.find((f) => f.name === name);
  // The canonical (RFC 8785) text of a string starts with a quote, and JSON.parse reads it back exactly.
  return field !== undefined && !isErased(field) && field.jcs.charCodeAt(0) === 0x22 ? (JSON.parse(field.jcs) as string) : undefined;
}

export interface IdempotencyRecord {
  readonly index: number;
  /** SHA-256 of the canonical (RFC 8785) text of the whole record. */
  readonly requestDigest: Uint8Array;
}

export type Role = 'submitter' | 'auditor' | 'admin';

export interface Principal {
  readonly name: string;
  readonly role: Role;
  readonly createdAt: number;
  /**
   * The tenants (a record's top-level string `tenant_id`) whose records this principal may read;
   * undefined means every tenant. Scopes only reads: a record outside them reads as missing.
   */
  readonly tenants?: readonly string[];
}

/** A stored principal with the hash of its token (the store never sees the token itself). */
export interface StoredPrincipal {
  readonly tokenHash: Uint8Array;
  readonly principal: Principal;
}

/**
 * The tree half of a pass: the new leaves (entry bundles and the leaf-hash index), the tiles they
 * changed and the signed tree head. PassWrite adds what the records need.
 */
export interface TreeWrite {
  /** Index of the first new entry; entries are firstIndex, firstIndex+1, … */
  readonly firstIndex: number;
  readonly leafInputs: readonly Uint8Array[];
  readonly leafHashes: readonly Uint8Array[];
  /** Every tile the pass changed, with its full current contents. */
  readonly tiles: readonly { level: number; index: number; hashes: Uint8Array }[];
  readonly head: TreeHead;
}

/** Everything one sequencing pass writes. The store writes it in one synced batch, or not at all. */
export interface PassWrite extends TreeWrite {
  readonly records: readonly (readonly StoredField[])[];
  /** Records rewritten by erasures in this pass (index → its fields after the erasure). */
  readonly rewrites?: readonly { readonly index: number; readonly fields: readonly StoredRecordField[] }[];
  /**
   * Tenants crypto-shredded by this pass (spec/formats.md §20.3): each one's data key is destroyed
   * in the same batch as the erasure entry at `erasureIndex` that records it.
   */
  readonly shreds?: readonly { readonly tenant: string; readonly erasureIndex: number }[];
  readonly idempotency: readonly { submitter: string; key: string; record: IdempotencyRecord }[];
}

/**
 * The log's storage. Reads may run at any time from any request; `commit` is called by the single
 * sequencer only. Everything `commit` writes is durable (fsync'd) once its promise resolves, and a
 * crash at any moment leaves either all of a pass or none of it.
 */
export interface LogStore {
  readMeta(): Promise<LogMeta | undefined>;
  readHead(): Promise<TreeHead | undefined>;
  /** Creates a new, empty log, in the current layout. Refuses if one exists. */
  initialise(meta: Omit<LogMeta, 'layout'>, head: TreeHead): Promise<void>;
  commit(pass: PassWrite): Promise<void>;

  /** The stored hashes of tile (level, index), as wide as the tree has grown; undefined if none. */
  readTile(level: number, index: number): Promise<Uint8Array | undefined>;
  readEntry(index: number): Promise<Uint8Array | undefined>;
  /** leaf_inputs of [start, start+count), fewer if the log ends earlier. */
  readEntries(start: number, count: number): Promise<Uint8Array[]>;
  /**
   * The first `width` entries of entry bundle `index` in the tlog-tiles format (each leaf_input as
   * uint16 big-endian length || leaf_input), or undefined if the store holds fewer.
   */
  readEntryBundle(index: number, width: number): Promise<Uint8Array | undefined>;
  readRecord(index: number): Promise<StoredRecordField[] | undefined>;
  /**
   * Compacts the key range of entry `index`'s record, so that its overwritten values (erased
   * fields) leave the files on disk: the write-ahead log and every table that held them.
   */
  compactRecord(index: number): Promise<void>;
  findLeafIndex(leafHash: Uint8Array): Promise<number | undefined>;
  readIdempotency(keys: readonly { submitter: string; key: string }[]): Promise<(IdempotencyRecord | undefined)[]>;

  /**
   * Indices of the entries whose record has this top-level string `event_id`, in log order, at
   * most `limit` of them. May include entries of a pass being committed but not yet published:
   * readers filter by the published tree size.
   */
  findByEventId(eventId: string, limit: number): Promise<number[]>;

  /**
   * A background job's own state between runs (e.g. `retention`: its cursors), as the job encoded
   * it; undefined if never put. Not part of the tree or of any pass.
   */
  readJobState(job: string): Promise<Uint8Array | undefined>;
  /** Replaces a job's state, durably (synced) once it resolves. */
  putJobState(job: string, state: Uint8Array): Promise<void>;

  putPrincipal(tokenHash: Uint8Array, principal: Principal): Promise<void>;
  listPrincipals(): Promise<StoredPrincipal[]>;
  /** Removes the principals of these token hashes (revocation), durably. */
  deletePrincipals(tokenHashes: readonly Uint8Array[]): Promise<void>;

  close(): Promise<void>;
}
