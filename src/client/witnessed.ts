/**
 * @module
 * Checks that a receipt's checkpoint is witnessed (PROTOCOL §7): cosigned by at least K of the
 * given witnesses, either itself or through a later cosigned checkpoint of the same log that is
 * proven consistent with it. Trusts nothing fetched until it is verified.
 */
import { verifyConsistency } from '../merkle/index.js';
import { NoteError, openCheckpoint, openNote } from '../note/index.js';
import type { Checkpoint, NoteVerifier } from '../note/index.js';
import { equalBytes, fromBase64, toHex } from '../util/bytes.js';
import { ReceiptError } from './receipt.js';
import { describeFetchFailure } from './fetch-error.js';

export interface Witnessed {
  /** Names of the witnesses whose cosignatures verified. */
  readonly witnesses: readonly string[];
  /** The checkpoint those cosignatures are on: the receipt's own, or a later one. */
  readonly checkpoint: Checkpoint;
  readonly viaLaterCheckpoint: boolean;
}

/**
 * Names of the distinct given witnesses that validly cosigned `note` (a witness that signed twice
 * counts once); a present but invalid cosignature is an error.
 */
export function cosignersOf(note: string, witnesses: readonly NoteVerifier[]): string[] {
  try {
    const keys = new Map(openNote(note, witnesses).verified.map((s) => [`${s.name}+${toHex(s.keyId)}`, s.name]));
    return [...keys.values()];
  } catch (e) {
    if (e instanceof NoteError && e.reason === 'noKnownSignature') return [];
    throw new ReceiptError('witness', `a witness cosignature does not verify: ${(e as Error).message}`);
  }
}

export async function checkWitnessed(args: {
  readonly receiptCheckpoint: string;
  readonly logVerifier: NoteVerifier;
  readonly witnesses: readonly NoteVerifier[];
  readonly minWitnesses: number;
  /** The log's base URL, to fetch a later cosigned checkpoint and a consistency proof. */
  readonly url?: string;
}): Promise<Witnessed> {
  const { logVerifier, witnesses, minWitnesses } = args;
  const own = openCheckpoint(args.receiptCheckpoint, logVerifier).checkpoint;
  const ownCosigners = cosignersOf(args.receiptCheckpoint, witnesses);
  if (ownCosigners.length >= minWitnesses) return { witnesses: ownCosigners, checkpoint: own, viaLaterCheckpoint: false };
  if (args.url === undefined) {
    throw new ReceiptError(
      'witness',
      `the receipt's checkpoint carries ${ownCosigners.length} of the ${minWitnesses} cosignatures required; ` +
        'give --url so a later cosigned checkpoint can be fetched',
    );
  }
  const base = args.url.replace(/\/+$/, '');
  const latestNote = await fetchText(`${base}/checkpoint`);
  let latest: Checkpoint;
  try {
    latest = openCheckpoint(latestNote, logVerifier).checkpoint;
  } catch (e) {
    throw new ReceiptError('witness', `${base}/checkpoint is not a checkpoint signed by the log key: ${(e as Error).message}`);
  }
  const cosigners = cosignersOf(latestNote, witnesses);
  if (cosigners.length < minWitnesses) {
    throw new ReceiptError(
      'witness',
      `the log's current checkpoint (tree size ${latest.size}) carries ${cosigners.length} of the ${minWitnesses} cosignatures required` +
        (cosigners.length > 0 ? ` (${cosigners.join(', ')})` : ''),
    );
  }
  if (latest.size < own.size) {
    throw new ReceiptError('consistency', `the log now serves tree size ${latest.size}, smaller than the receipt's ${own.size}`);
  }
  if (latest.size === own.size) {
    if (!equalBytes(latest.rootHash, own.rootHash)) {
      throw new ReceiptError('consistency', `the log signed two different roots for tree size ${own.size}: this is evidence of a fork`);
    }
  } else {
    const url = `${base}/ct/v1/get-sth-consistency?first=${own.size}&second=${latest.size}`;
    let json: { consistency?: unknown };
    try {
      json = JSON.parse(await fetchText(url, 'consistency')) as { consistency?: unknown };
    } catch (e) {
      if (e instanceof ReceiptError) throw e;
      throw new ReceiptError('consistency', `${url} did not answer JSON: ${(e as Error).message}`);
    }
    const proof = Array.isArray(json.consistency) ? json.consistency.map((h) => (typeof h === 'string' ? fromBase64(h) : undefined)) : undefined;
    if (!proof || proof.some((h) => h === undefined || h.length !== 32)) throw new ReceiptError('consistency', `${url} did not return a consistency proof`);
    try {
      verifyConsistency(own.size, latest.size, own.rootHash, latest.rootHash, proof as Uint8Array[]);
    } catch (e) {
      throw new ReceiptError(
        'consistency',
        `the cosigned checkpoint (tree size ${latest.size}) is not proven consistent with the receipt's (tree size ${own.size}): ${(e as Error).message}`,
      );
    }
  }
  return { witnesses: cosigners, checkpoint: latest, viaLaterCheckpoint: true };
}

async function fetchText(url: string, step: 'witness' | 'consistency' = 'witness'): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    throw new ReceiptError(step, `cannot fetch ${url}: ${describeFetchFailure(e)}`);
  }
  const text = await res.text();
  if (res.status !== 200) throw new ReceiptError(step, `${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  return text;
}
