/**
 * @module
 * Offline verification of an evidence bundle (`spec/formats.md` §19), streaming: the file is read
 * line by line, so memory does not grow with the number of records. Checks the header's checkpoint
 * with the log key (and witness cosignatures when asked), then every record line with
 * verifyBundleRecord, reporting each failure and going on, then the end line's count.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { openCheckpoint } from '../note/index.js';
import type { Checkpoint, NoteVerifier } from '../note/index.js';
import { BUNDLE_END_TYPE, BUNDLE_TYPE, BundleRecordError, verifyBundleRecord } from './bundle.js';
import { cosignersOf } from './witnessed.js';

export interface BundleVerification {
  readonly checkpoint: Checkpoint;
  /** Witnesses whose cosignature on the checkpoint verified (only those asked for). */
  readonly witnesses: readonly string[];
  readonly records: number;
  readonly failures: number;
}

/** A failure that stops verification: the bundle's header, checkpoint or file is unusable. */
export class BundleError extends Error {
  override readonly name = 'BundleError';
}

export interface VerifyBundleOptions {
  readonly path: string;
  readonly logVerifier: NoteVerifier;
  readonly witnesses?: readonly NoteVerifier[];
  readonly minWitnesses?: number;
  /** Called with each failure: "record 41: …", "line 7: …", "the bundle …". */
  readonly onFailure: (message: string) => void;
  /** Called with the size of each line read (with its newline), for a progress bar. */
  readonly onBytes?: (bytes: number) => void;
  /** Called after each record line, with the leaf index when it verified. */
  readonly onRecord?: (leafIndex: number | undefined) => void;
}

export async function verifyBundle(options: VerifyBundleOptions): Promise<BundleVerification> {
  const { onFailure } = options;
  const lines = createInterface({ input: createReadStream(options.path), crlfDelay: Infinity });
  let lineNumber = 0;
  let checkpoint: Checkpoint | undefined;
  let witnesses: string[] = [];
  let records = 0;
  let failures = 0;
  let lastIndex = -1;
  let end: number | undefined;
  const fail = (message: string): void => {
    failures++;
    onFailure(message);
  };

  try {
    for await (const text of lines) {
      lineNumber++;
      options.onBytes?.(Buffer.byteLength(text) + 1);
      if (checkpoint === undefined) {
        ({ checkpoint, witnesses } = openHeader(text, options));
        continue;
      }
      if (text === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        records++;
        fail(`line ${lineNumber}: not valid JSON (${(e as Error).message}), so its record cannot be checked`);
        options.onRecord?.(undefined);
        continue;
      }
      const type = (json as { type?: unknown } | null)?.type;
      if (type === BUNDLE_END_TYPE) {
        if (end !== undefined) fail(`line ${lineNumber}: a second end line`);
        const count = (json as { records?: unknown }).records;
        end = Number.isSafeInteger(count) ? (count as number) : -1;
        continue;
      }
      records++;
      const stated = (json as { leaf_index?: unknown } | null)?.leaf_index;
      const name = Number.isSafeInteger(stated) ? `record ${String(stated)}` : `line ${lineNumber}`;
      if (end !== undefined) fail(`${name}: comes after the end line`);
      try {
        const leafIndex = verifyBundleRecord(json, checkpoint);
        // Records are in increasing leaf_index order; a repeat could otherwise inflate the count.
        if (leafIndex <= lastIndex) throw new BundleRecordError(`leaf_index is not above the previous record's ${lastIndex}`);
        lastIndex = leafIndex;
        options.onRecord?.(leafIndex);
      } catch (e) {
        if (!(e instanceof BundleRecordError)) throw e;
        fail(`${name}: ${e.message}`);
        options.onRecord?.(undefined);
      }
    }
  } finally {
    lines.close();
  }
  if (checkpoint === undefined) throw new BundleError('the bundle is empty: it has no header line');
  if (end === undefined) fail(`the bundle has no end line: it was cut short after ${records} records`);
  else if (end !== records) fail(`the end line counts ${end} records but the bundle holds ${records}`);
  return { checkpoint, witnesses, records, failures };
}

function openHeader(text: string, options: VerifyBundleOptions): { checkpoint: Checkpoint; witnesses: string[] } {
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new BundleError(`the first line is not a JSON header: ${(e as Error).message}`);
  }
  const h = (typeof header === 'object' && header !== null ? header : {}) as Record<string, unknown>;
  if (h['type'] !== BUNDLE_TYPE) throw new BundleError(`the first line is not a ${BUNDLE_TYPE} header`);
  const note = h['checkpoint'];
  if (typeof note !== 'string') throw new BundleError('the header has no checkpoint note');
  let checkpoint: Checkpoint;
  try {
    checkpoint = openCheckpoint(note, options.logVerifier).checkpoint;
  } catch (e) {
    throw new BundleError(`the checkpoint does not verify with the log key: ${(e as Error).message}`);
  }
  if (h['tree_size'] !== undefined && h['tree_size'] !== checkpoint.size) {
    throw new BundleError(`the header's tree_size ${String(h['tree_size'])} is not the checkpoint's ${checkpoint.size}`);
  }
  const given = options.witnesses ?? [];
  const min = options.minWitnesses ?? given.length;
  let witnesses: string[] = [];
  if (given.length > 0) {
    try {
      witnesses = cosignersOf(note, given);
    } catch (e) {
      throw new BundleError((e as Error).message);
    }
    if (witnesses.length < min) {
      throw new BundleError(
        `the checkpoint carries ${witnesses.length} of the ${min} witness cosignatures required` +
          (witnesses.length > 0 ? ` (${witnesses.join(', ')})` : ''),
      );
    }
  }
  return { checkpoint, witnesses };
}
