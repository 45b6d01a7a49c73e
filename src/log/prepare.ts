/**
 * @module
 * Preparing a record for the sequencer: salting and committing its fields (PROTOCOL §2), off the
 * sequencer's path for submitted records, in the pass for the log's own erasure records.
 */
import { randomFillSync } from 'node:crypto';
import { commitRecord, recordFieldsOf } from '../record/index.js';
import type { LeafKind, RecordField } from '../record/index.js';
import { utf8 } from '../util/bytes.js';
import { sha256 } from '../util/hash.js';
import type { PreparedRecord } from './sequencer.js';

/** Salts and commits a parsed record. */
export function prepareRecord(fields: readonly RecordField[], idempotencyKey: string | undefined, kind: LeafKind = 'record'): PreparedRecord {
  const { salts, commitments, digest } = commitRecord(fields as RecordField[], randomSalts);
  const canonical = `{${[...fields]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${JSON.stringify(f.name)}:${f.jcs}`)
    .join(',')}}`;
  return {
    fields: fields.map((f, i) => ({ name: f.name, jcs: f.jcs, salt: salts[i]!, commitment: commitments[i]! })),
    digest,
    requestDigest: sha256(utf8(canonical)),
    idempotencyKey,
    kind,
  };
}

/** PROTOCOL §6: the record of an erasure entry, committed like any other record. */
export function prepareErasureRecord(targetIndex: number, fields: readonly string[], reason: string, requestedBy: string): PreparedRecord {
  return prepareRecord(recordFieldsOf({ target_index: targetIndex, fields: [...fields], reason, requested_by: requestedBy }), undefined, 'erasure');
}

/** spec/formats.md §20.3: the record of a crypto-shred's erasure entry; it names a tenant, not fields. */
export function prepareShredRecord(tenant: string, requestedBy: string): PreparedRecord {
  return prepareRecord(recordFieldsOf({ tenant_id: tenant, reason: 'crypto-shred', requested_by: requestedBy }), undefined, 'erasure');
}

/** Salts come from a pool refilled from the CSPRNG, one system call per 4 KiB instead of per field. */
const saltPool = Buffer.alloc(4096);
let saltOffset = saltPool.length;
function randomSalts(n: number): Uint8Array {
  if (n > saltPool.length) return randomFillSync(new Uint8Array(n));
  if (saltOffset + n > saltPool.length) {
    randomFillSync(saltPool);
    saltOffset = 0;
  }
  const out = new Uint8Array(n);
  out.set(saltPool.subarray(saltOffset, saltOffset + n));
  saltOffset += n;
  return out;
}
