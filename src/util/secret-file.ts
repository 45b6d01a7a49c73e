/**
 * @module
 * Secret files: the log's signing key, the witness's key, the master key, a TLS private key, and a
 * configuration file that holds a token. One rule for all of them, in one place, so that no caller
 * forgets it or words it differently: a secret file is created with mode 0600, and one that group
 * or others may read or change is refused with the command that fixes it. The check is on the mode
 * bits, not on access, so it holds for root too (root reads anything; the point is that nobody
 * else should).
 *
 * POSIX only: on Windows, Node reports made-up modes, so nothing is checked there.
 */
import { open, stat, writeFile } from 'node:fs/promises';

const CHECKED = process.platform !== 'win32';

/** Why a file of this mode may not hold a secret, or undefined if it may. `what` names it: "the TLS private key". */
export function secretModeProblem(path: string, mode: number, what: string): string | undefined {
  const bits = mode & 0o777;
  if (!CHECKED || (bits & 0o077) === 0) return undefined;
  const how = bits & 0o044 ? 'read' : 'changed';
  return `${what} ${path} can be ${how} by other users (mode ${bits.toString(8)}); run: chmod 600 ${path}`;
}

/**
 * Reads a secret file, refusing one that is missing, not a regular file, or open to other users.
 * The mode is taken from the open file itself, so what is checked is what is read.
 */
export async function readSecretFile(path: string, what: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${what} ${path} does not exist`);
    throw new Error(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`${what} ${path} is not a regular file`);
    const problem = secretModeProblem(path, info.mode, what);
    if (problem) throw new Error(problem);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Refuses an existing file that holds a secret when others may read or change it. */
export async function checkSecretFile(path: string, what: string): Promise<void> {
  const problem = secretModeProblem(path, (await stat(path)).mode, what);
  if (problem) throw new Error(problem);
}

/**
 * Creates a secret file with mode 0600, never overwriting one (a key that appeared meanwhile is
 * kept, and this throws EEXIST).
 */
export async function writeSecretFile(path: string, data: string | Uint8Array): Promise<void> {
  await writeFile(path, data, { mode: 0o600, flag: 'wx' });
}
