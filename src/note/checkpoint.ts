/**
 * @module
 * C2SP tlog-checkpoint v1.0.0 (PROTOCOL §3): the note text
 *
 *     <origin>\n<tree size, decimal>\n<base64 root hash>\n[<extension line>\n]...
 *
 * signed by the log's key, whose name is the origin.
 */
import { abytes, auint, fromBase64, fromUtf8, toBase64 } from '../util/bytes.js';
import { NoteError } from './errors.js';
import type { NoteSigner, NoteVerifier } from './keys.js';
import { openNote, signNote, type OpenedNote } from './note.js';
import { textProblem } from './text.js';

export interface Checkpoint {
  /** The log's identity; also the name of its key. */
  readonly origin: string;
  /** Tree size: the number of leaves. */
  readonly size: number;
  /** RFC 6962 root hash of the tree of `size` leaves, 32 bytes. */
  readonly rootHash: Uint8Array;
  /** Opaque non-empty lines after the root hash; tlog-checkpoint does not recommend them. */
  readonly extensions: readonly string[];
}

export interface OpenedCheckpoint extends OpenedNote {
  readonly checkpoint: Checkpoint;
  /** The note as given (all its signature lines included), as a string. */
  readonly note: string;
}

/** Formats the checkpoint text. Throws TypeError/RangeError for a checkpoint that cannot be written. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions } = checkpoint;
  checkLine(origin, 'origin');
  if (origin.length === 0) throw new RangeError('origin must not be empty');
  auint(size, 'size');
  abytes(rootHash, 32, 'rootHash');
  if (!Array.isArray(extensions)) throw new TypeError('extensions must be an array');
  extensions.forEach((line, index) => {
    checkLine(line, `extensions[${index}]`);
    if (line.length === 0) throw new RangeError(`extensions[${index}] must not be empty`);
  });
  return [origin, String(size), toBase64(rootHash), ...extensions].map((line) => `${line}\n`).join('');
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/**
 * Parses a checkpoint text strictly: every checkpoint has exactly one text, so that two parties
 * can never read the same signed bytes differently. Throws NoteError `malformed`.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string') throw new TypeError('checkpoint text must be a string');
  const problem = textProblem(text);
  if (problem) throw new NoteError('malformed', `the checkpoint contains ${problem}`);
  if (!text.endsWith('\n')) throw new NoteError('malformed', 'the checkpoint does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) {
    throw new NoteError('malformed', `the checkpoint has ${lines.length} lines; it needs at least 3 (origin, tree size, root hash)`);
  }
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw new NoteError('malformed', 'the checkpoint origin (line 1) is empty');
  // tlog-checkpoint: "ASCII decimal ... with no leading zeroes"; and it must be a safe integer.
  if (!DECIMAL.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new NoteError(
      'malformed',
      `the checkpoint tree size (line 2) ${JSON.stringify(sizeText.slice(0, 40))} is not a decimal number from 0 to 2^53-1 without leading zeros`,
    );
  }
  const rootHash = fromBase64(rootText);
  if (rootHash === undefined || rootHash.length !== 32) {
    throw new NoteError('malformed', 'the checkpoint root hash (line 3) is not 32 bytes in padded standard base64');
  }
  const empty = extensions.indexOf('');
  if (empty >= 0) throw new NoteError('malformed', `the checkpoint extension line ${empty + 4} is empty`);
  return { origin, size: Number(sizeText), rootHash, extensions };
}

/** Formats and signs a checkpoint; returns the note. The signer's name must be the origin. */
export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  const text = formatCheckpoint(checkpoint);
  if (signer.name !== checkpoint.origin) {
    throw new RangeError(`the signer's key name ${signer.name} is not the checkpoint origin ${checkpoint.origin}`);
  }
  return signNote(text, [signer]);
}

/**
 * Opens a checkpoint note signed by `verifier` (the log's key) and parses its text. Other
 * signatures, e.g. witness cosignatures, are returned in `signatures` unverified. Throws NoteError:
 * the reasons of openNote, `malformed` for the text, or `originMismatch` when the origin is not the
 * key's name (PROTOCOL §3).
 */
export function openCheckpoint(note: string | Uint8Array, verifier: NoteVerifier): OpenedCheckpoint {
  const opened = openNote(note, [verifier]);
  const checkpoint = parseCheckpoint(opened.text);
  if (checkpoint.origin !== verifier.name) {
    throw new NoteError(
      'originMismatch',
      `the checkpoint origin ${JSON.stringify(checkpoint.origin)} is not the name of the log key ${verifier.name}`,
    );
  }
  // openNote has already checked that bytes are UTF-8.
  const noteText = typeof note === 'string' ? note : (fromUtf8(note) as string);
  return { ...opened, checkpoint, note: noteText };
}

function checkLine(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  const problem = textProblem(value) ?? (value.includes('\n') ? 'a newline' : undefined);
  if (problem) throw new RangeError(`${name} must be one line without control characters, found ${problem}`);
}
