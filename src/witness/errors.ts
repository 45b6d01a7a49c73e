/**
 * @module
 * The witness's one error class. Every refusal of add-checkpoint is a WitnessError with a stable
 * `code`; src/witness/http.ts maps codes to the statuses of C2SP tlog-witness v1.0.0 (PROTOCOL §7)
 * in one table. Poll mode branches on the same codes.
 */

export type WitnessErrorCode =
  /** 400: the body does not follow the add-checkpoint format, or old size > checkpoint size. */
  | 'malformed'
  /** 403: no signature by the configured key of the checkpoint's origin verifies. */
  | 'forbidden'
  /** 404: the checkpoint's origin is not a configured log. */
  | 'unknownOrigin'
  /** 409: old size is not the size of the latest cosigned checkpoint (see `latestSize`). */
  | 'conflict'
  /** 422: the consistency proof does not verify, or same size with another root. */
  | 'inconsistent'
  /** 422: the log is refused since fork evidence was recorded; an operator must clear it. */
  | 'refused'
  /** 413: the request body is larger than the limit. */
  | 'tooLarge';

export class WitnessError extends Error {
  override readonly name = 'WitnessError';
  constructor(
    readonly code: WitnessErrorCode,
    message: string,
    /** For `conflict`: the size of the latest cosigned checkpoint (tlog-witness 409 body). */
    readonly latestSize?: number,
    /** For `refused` and a fork found now: the evidence file. */
    readonly evidenceFile?: string,
  ) {
    super(message);
  }
}
