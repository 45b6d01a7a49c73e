/**
 * @module
 * Storage faults: what LevelStore tells callers when LevelDB refuses a write, and the faults tests
 * inject where LevelStore calls LevelDB (LevelStore.injectFault; spec/formats.md §11.4).
 */
import { constants } from 'node:os';

/** The kinds of write LevelStore makes to LevelDB: a batch (every pass), a single put, a compaction. */
export type StoreWrite = 'batch' | 'put' | 'compact';

/**
 * A fault for tests (`LevelStore.injectFault`): matching writes fail with a Node-style error of
 * this errno `code` (e.g. 'ENOSPC', 'EIO') at the boundary between the store and LevelDB.
 */
export interface StoreFault {
  readonly code: string;
  /** Which writes fail; default every kind. */
  readonly writes?: readonly StoreWrite[];
  /** How many writes fail before the fault clears by itself; default until `clearFault`. */
  readonly times?: number;
  /**
   * The write reaches LevelDB (and the disk) before the call fails, as a write whose fsync failed
   * may have: the caller cannot tell it from one that wrote nothing. Default false: nothing written.
   */
  readonly landed?: boolean;
}

/** The errno codes whose cause a client may be told, with LevelDB's strerror text for each. */
const ERRNO: Record<string, { readonly strerror: string; readonly meaning: string }> = {
  ENOSPC: { strerror: 'No space left on device', meaning: 'the disk is full' },
  EDQUOT: { strerror: 'Disk quota exceeded', meaning: 'the disk quota is used up' },
  EIO: { strerror: 'Input/output error', meaning: 'the disk reported an I/O error' },
  EROFS: { strerror: 'Read-only file system', meaning: 'the file system is read-only' },
};

/**
 * A write the store could not make. The message names the problem without the store's file paths
 * (it reaches clients in a 503); `detail` keeps LevelDB's own message for the server's log.
 */
export class StorageFailure extends Error {
  override readonly name = 'StorageFailure';
  constructor(
    message: string,
    /** The errno name when known (ENOSPC, EIO, …), else LevelDB's error code. */
    readonly code: string | undefined,
    readonly detail: string,
  ) {
    super(message);
  }
}

/** Classifies what a LevelDB write (or our injected fault) threw. LevelDB reports errno only as strerror text. */
export function storageFailure(error: unknown): StorageFailure {
  if (error instanceof StorageFailure) return error;
  const e = error as { code?: unknown; message?: unknown; cause?: { message?: unknown } };
  const text = `${String(e.message)} ${String(e.cause?.message ?? '')}`;
  const code = typeof e.code === 'string' && e.code in ERRNO ? e.code : Object.keys(ERRNO).find((c) => text.includes(ERRNO[c]!.strerror));
  if (code !== undefined) return new StorageFailure(`${ERRNO[code]!.meaning} (${code})`, code, text.trim());
  const other = typeof e.code === 'string' ? e.code : 'no error code';
  return new StorageFailure(`the store refused the write (${other})`, typeof e.code === 'string' ? e.code : undefined, text.trim());
}

/** The error a system call fails with, as Node makes it (`code`, `errno`, `syscall`). */
export function errnoError(code: string): Error {
  const errno = (constants.errno as Record<string, number | undefined>)[code];
  const text = ERRNO[code]?.strerror ?? code;
  return Object.assign(new Error(`${code}: ${text}, write (injected fault)`), { code, errno: errno === undefined ? undefined : -errno, syscall: 'write' });
}
