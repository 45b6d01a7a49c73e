/**
 * @module
 * Verifier keys on the command line: `--vkey` and `--witness` take a key in note encoding, or the
 * path of a file holding one (e.g. DATA/log.vkey).
 */
import { readFile } from 'node:fs/promises';

/** A key given inline, or the path of a file that holds it. */
export async function keyOrFile(arg: string): Promise<string> {
  return readFile(arg, 'utf8').then(
    (t) => t.trim(),
    () => arg,
  );
}
