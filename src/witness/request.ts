/**
 * @module
 * The body of a C2SP tlog-witness v1.0.0 add-checkpoint request (PROTOCOL §7):
 *
 *     old <size>\n
 *     <base64 consistency proof hash>\n      (0 to 63 lines)
 *     \n
 *     <signed checkpoint note>
 *
 * Parsing is strict, so one body has one reading: a decimal without leading zeros, padded standard
 * base64 of 32-byte hashes, every line ended by a newline and nothing else (no CR). Pure.
 */
import { fromBase64, fromUtf8, toBase64 } from '../util/bytes.js';
import { WitnessError } from './errors.js';

/** tlog-witness: "The client MUST NOT send more than 63 consistency proof lines." */
export const MAX_PROOF_LINES = 63;

export interface AddCheckpointRequest {
  /** The size of the checkpoint the client believes the witness cosigned last (0: none). */
  readonly oldSize: number;
  /** RFC 6962 §2.1.2 consistency proof from `oldSize` to the checkpoint's size, 32-byte hashes. */
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note as sent, all its signature lines included. */
  readonly note: string;
}

const OLD_LINE = /^old (0|[1-9][0-9]*)$/;

/** Parses a request body. Throws WitnessError `malformed` (400) naming what is wrong. */
export function parseAddCheckpoint(body: Uint8Array | string): AddCheckpointRequest {
  const text = typeof body === 'string' ? body : fromUtf8(body);
  if (text === undefined) throw malformed('the body is not valid UTF-8');
  let position = 0;
  const nextLine = (what: string): string => {
    const end = text.indexOf('\n', position);
    if (end < 0) throw malformed(`${what} does not end with a newline (U+000A)`);
    const line = text.slice(position, end);
    position = end + 1;
    return line;
  };

  const oldLine = nextLine('the first line');
  const match = OLD_LINE.exec(oldLine);
  const oldSize = match ? Number(match[1]) : NaN;
  if (!match || !Number.isSafeInteger(oldSize)) {
    throw malformed(
      `the first line ${JSON.stringify(oldLine.slice(0, 40))} is not "old <size>" with the size in decimal from 0 to 2^53-1 without leading zeros`,
    );
  }

  // Proof lines run until the empty line; the checkpoint note after it has blank lines of its own.
  const proof: Uint8Array[] = [];
  for (;;) {
    const line = nextLine(`line ${proof.length + 2}`);
    if (line === '') break;
    if (proof.length === MAX_PROOF_LINES) {
      throw malformed(`more than ${MAX_PROOF_LINES} consistency proof lines; tlog-witness allows at most ${MAX_PROOF_LINES}`);
    }
    const hash = fromBase64(line);
    if (hash === undefined || hash.length !== 32) {
      throw malformed(`proof line ${proof.length + 1} is not a 32-byte hash in padded standard base64`);
    }
    proof.push(hash);
  }

  const note = text.slice(position);
  if (note.length === 0) throw malformed('the body has no checkpoint after the empty line');
  return { oldSize, proof, note };
}

/** Formats a request body (what a log sends; the witness's tests use it too). */
export function formatAddCheckpoint(request: AddCheckpointRequest): string {
  return `old ${request.oldSize}\n${request.proof.map((hash) => `${toBase64(hash)}\n`).join('')}\n${request.note}`;
}

function malformed(message: string): WitnessError {
  return new WitnessError('malformed', `add-checkpoint body: ${message}`);
}
