/**
 * @module
 * C2SP signed-note v1.0.0: a text ending in a newline, a blank line, then one or more lines
 * `— <key name> <base64(4-byte key ID || signature)>`.
 */
import { abytes, concatBytes, fromBase64, fromUtf8, toBase64, toHex, utf8 } from '../util/bytes.js';
import { NoteError } from './errors.js';
import type { NoteSigner, NoteVerifier } from './keys.js';
import { KEY_NAME_RULE, keyNameProblem, textProblem } from './text.js';

/**
 * signed-note: verifiers "MUST accept at least up to 16 signatures"; Go's note.Open refuses more
 * than 100, and so do we, so that a note cannot make a verifier check signatures forever.
 */
export const MAX_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 '; // em dash, space

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  /** The first 4 bytes of the decoded signature. */
  readonly keyId: Uint8Array;
  /** The decoded signature after the key ID (at least 1 byte). */
  readonly signature: Uint8Array;
  /** The whole line, `— <name> <base64>`, without its newline. */
  readonly line: string;
}

export interface OpenedNote {
  /** The signed text, ending in a newline, without the blank line. */
  readonly text: string;
  /** Every signature line in note order, identical lines once, from known keys or not. */
  readonly signatures: readonly NoteSignature[];
  /** The signatures that a given verifier checked and accepted (at least one). */
  readonly verified: readonly NoteSignature[];
}

/**
 * Signs `text` with each signer and returns the note. The text must end in a newline and must not
 * contain control characters other than newline; it may contain blank lines.
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkText(text);
  if (!Array.isArray(signers) || signers.length === 0) throw new RangeError('signers must be a non-empty array');
  const message = utf8(text);
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const signer of signers) {
    const problem = keyNameProblem(signer.name);
    if (problem) throw new NoteError('badKey', `signer: ${problem}; ${KEY_NAME_RULE}`);
    abytes(signer.keyId, 4, `keyId of signer ${signer.name}`);
    const key = keyOf(signer.name, signer.keyId);
    if (seen.has(key)) throw new RangeError(`signer ${signer.name}+${toHex(signer.keyId)} is given twice`);
    seen.add(key);
    const signature = abytes(signer.sign(message), undefined, `signature of ${signer.name}`);
    if (signature.length === 0) throw new RangeError(`signer ${signer.name} returned an empty signature`);
    lines.push(`${SIGNATURE_PREFIX}${signer.name} ${toBase64(concatBytes(signer.keyId, signature))}\n`);
  }
  return `${text}\n${lines.join('')}`;
}

/**
 * Opens a note (C2SP signed-note §Signatures): every signature whose name and key ID match a
 * verifier must verify, and at least one must. Signatures of unknown keys are kept, unchecked,
 * in `signatures` (witness cosignatures are such lines). A note given as bytes must be UTF-8.
 *
 * Throws NoteError: `malformed` (format; checked before any signature), `badSignature` (a known
 * key's signature fails, even if another verifies), `noKnownSignature`, or `badKey` (two
 * different verifiers share a name and key ID).
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, signatures } = parseNote(note);
  const known = verifierMap(verifiers);
  const message = utf8(text);
  const verified: NoteSignature[] = [];
  for (const signature of signatures) {
    const verifier = known.get(keyOf(signature.name, signature.keyId));
    if (verifier === undefined) continue;
    if (!verifier.verify(message, signature.signature)) {
      throw new NoteError(
        'badSignature',
        `the signature of ${signature.name}+${toHex(signature.keyId)} does not verify over the note text`,
      );
    }
    verified.push(signature);
  }
  if (verified.length === 0) {
    const wanted = [...known.values()].map((v) => `${v.name}+${toHex(v.keyId)}`).join(', ') || 'none given';
    const found = signatures.map((s) => `${s.name}+${toHex(s.keyId)}`).join(', ');
    throw new NoteError('noKnownSignature', `the note has no signature by a known key (known: ${wanted}; found: ${found})`);
  }
  return { text, signatures, verified };
}

/**
 * Appends signature lines (e.g. witness cosignatures) to a note without verifying anything. Each
 * line is `— <name> <base64>`, with or without its newline. A line whose key (name and key ID)
 * already signed the note replaces that signature, as Go's note.Sign does; a line already in the
 * note changes nothing. Throws NoteError `malformed` if the note or a line is malformed.
 */
export function addSignatures(note: string, lines: readonly string[]): string {
  const { text, signatures } = parseNote(note);
  const added = lines.map((line, index) => {
    if (typeof line !== 'string') throw new TypeError(`lines[${index}] must be a string`);
    const bare = line.endsWith('\n') ? line.slice(0, -1) : line;
    const problem = textProblem(bare) ?? (bare.includes('\n') ? 'a newline inside the line' : undefined);
    if (problem) throw new NoteError('malformed', `signature line ${index + 1} to add contains ${problem}`);
    return parseSignatureLine(bare, `signature line ${index + 1} to add`);
  });
  const present = new Set(signatures.map((s) => s.line));
  const fresh = unique(added.filter((s) => !present.has(s.line)));
  const replaced = new Set(fresh.map((s) => keyOf(s.name, s.keyId)));
  const all = [...signatures.filter((s) => !replaced.has(keyOf(s.name, s.keyId))), ...fresh];
  if (all.length > MAX_SIGNATURES) {
    throw new NoteError('malformed', `the note would have ${all.length} signatures; at most ${MAX_SIGNATURES} are accepted`);
  }
  return `${text}\n${all.map((s) => `${s.line}\n`).join('')}`;
}

/** Splits and checks the format of a note; verifies nothing. */
function parseNote(note: string | Uint8Array): { text: string; signatures: NoteSignature[] } {
  const decoded = note instanceof Uint8Array ? fromUtf8(note) : note;
  if (typeof decoded !== 'string') {
    if (note instanceof Uint8Array) throw new NoteError('malformed', 'the note is not valid UTF-8');
    throw new TypeError('note must be a string or a Uint8Array');
  }
  const problem = textProblem(decoded);
  if (problem) throw new NoteError('malformed', `the note contains ${problem}; only newline is allowed below U+0020`);
  if (!decoded.endsWith('\n')) throw new NoteError('malformed', 'the note does not end with a newline');
  // The text may contain blank lines: the last one separates it from the signatures.
  const split = decoded.lastIndexOf('\n\n');
  if (split < 0) {
    throw new NoteError('malformed', 'the note has no blank line between its text and its signature lines');
  }
  const text = decoded.slice(0, split + 1);
  const block = decoded.slice(split + 2);
  if (block.length === 0) throw new NoteError('malformed', 'the note has no signature lines after its blank line');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) {
    throw new NoteError('malformed', `the note has ${lines.length} signature lines; at most ${MAX_SIGNATURES} are accepted`);
  }
  const signatures = unique(lines.map((line, index) => parseSignatureLine(line, `signature line ${index + 1}`)));
  return { text, signatures };
}

function parseSignatureLine(line: string, where: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX)) {
    throw new NoteError('malformed', `${where} does not start with an em dash (U+2014) and a space`);
  }
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new NoteError('malformed', `${where} has no space between the key name and the signature`);
  const name = rest.slice(0, space);
  const nameProblem = keyNameProblem(name);
  if (nameProblem) throw new NoteError('malformed', `${where}: ${nameProblem}; ${KEY_NAME_RULE}`);
  const decoded = fromBase64(rest.slice(space + 1));
  if (decoded === undefined) {
    throw new NoteError('malformed', `${where}: the signature of ${name} is not valid padded standard base64`);
  }
  if (decoded.length < 5) {
    throw new NoteError('malformed', `${where}: the signature of ${name} is ${decoded.length} bytes; a key ID and a signature need at least 5`);
  }
  return { name, keyId: decoded.slice(0, 4), signature: decoded.slice(4), line };
}

function verifierMap(verifiers: readonly NoteVerifier[]): Map<string, NoteVerifier> {
  if (!Array.isArray(verifiers)) throw new TypeError('verifiers must be an array');
  const map = new Map<string, NoteVerifier>();
  for (const verifier of verifiers) {
    abytes(verifier.keyId, 4, `keyId of verifier ${verifier.name}`);
    const key = keyOf(verifier.name, verifier.keyId);
    const other = map.get(key);
    if (other !== undefined && other !== verifier) {
      // Go's VerifierList calls this an ambiguous key: whoever built the list made a mistake.
      throw new NoteError('badKey', `two different verifiers are named ${verifier.name} with key ID ${toHex(verifier.keyId)}`);
    }
    map.set(key, verifier);
  }
  return map;
}

// The key ID is fixed-width hex, so "<hex> <name>" cannot collide.
function keyOf(name: string, id: Uint8Array): string {
  return `${toHex(id)} ${name}`;
}

function unique(signatures: NoteSignature[]): NoteSignature[] {
  const seen = new Set<string>();
  const kept: NoteSignature[] = [];
  for (const signature of signatures) {
    if (seen.has(signature.line)) continue;
    seen.add(signature.line);
    kept.push(signature);
  }
  return kept;
}

function checkText(text: string): void {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  if (!text.endsWith('\n')) throw new NoteError('malformed', 'the note text does not end with a newline');
  const problem = textProblem(text);
  if (problem) throw new NoteError('malformed', `the note text contains ${problem}; only newline is allowed below U+0020`);
}

