/**
 * @module
 * The one error class of src/note. Callers branch on `reason`, never on the message: the api layer
 * maps reasons to HTTP statuses (a witness answers 403 for `noKnownSignature` and `badSignature`,
 * 400 for `malformed`), and the client reports them to the auditor as they are.
 */

export type NoteErrorReason =
  /** The text, a signature line, a checkpoint or a tree head does not follow its format. */
  | 'malformed'
  /** A signer or verifier key string is not a valid key (bad syntax, name, type or key ID). */
  | 'badKey'
  /** A signature from a known key (same name and key ID) does not verify. */
  | 'badSignature'
  /** No signature in the note comes from any of the given verifiers. */
  | 'noKnownSignature'
  /** The checkpoint verified, but its origin is not the name of the key that signed it. */
  | 'originMismatch';

export class NoteError extends Error {
  override readonly name = 'NoteError';
  constructor(
    readonly reason: NoteErrorReason,
    message: string,
  ) {
    super(message);
  }
}
