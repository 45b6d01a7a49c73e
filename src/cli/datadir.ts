/**
 * @module
 * The data directory: `log.key` (the signer key, mode 0600), `log.vkey` (the verifier key, public)
 * and `db/` (LevelDB).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Log } from '../log/log.js';
import { generateSignerKey, parseSignerKey, parseVerifierKey } from '../note/index.js';
import type { NoteSigner, NoteVerifier } from '../note/index.js';
import { LevelStore } from '../storage/level.js';

export interface DataPaths {
  readonly dir: string;
  readonly signerKey: string;
  readonly verifierKey: string;
  readonly db: string;
}

export function dataPaths(dir: string): DataPaths {
  return { dir, signerKey: join(dir, 'log.key'), verifierKey: join(dir, 'log.vkey'), db: join(dir, 'db') };
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Creates a log: a new key and an empty store. Refuses if DIR already holds a log. */
export async function initLog(dir: string, origin: string): Promise<{ verifierKey: string }> {
  const paths = dataPaths(dir);
  if ((await exists(paths.signerKey)) || (await exists(paths.db))) {
    throw new Error(`${dir} already holds a log (found ${paths.signerKey} or ${paths.db}); choose an empty directory`);
  }
  const { signerKey, verifierKey } = generateSignerKey(origin, (n) => new Uint8Array(randomBytes(n)));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(paths.signerKey, `${signerKey}\n`, { mode: 0o600, flag: 'wx' });
  await writeFile(paths.verifierKey, `${verifierKey}\n`, { mode: 0o644, flag: 'wx' });
  const store = await openStore(paths.db);
  try {
    await Log.initialise(store, parseSignerKey(signerKey));
  } finally {
    await store.close();
  }
  return { verifierKey };
}

/** Reads the log's keys, refusing a signer key file that others can read. */
export async function loadKeys(dir: string): Promise<{ signer: NoteSigner; verifier: NoteVerifier; verifierKey: string }> {
  const paths = dataPaths(dir);
  if (!(await exists(paths.signerKey))) {
    throw new Error(`no log in ${dir}: ${paths.signerKey} is missing (create one with: sealtrail init --data ${dir} --origin NAME)`);
  }
  const mode = (await stat(paths.signerKey)).mode & 0o777;
  if (mode & 0o077) {
    throw new Error(`${paths.signerKey} can be read by other users (mode ${mode.toString(8)}); run: chmod 600 ${paths.signerKey}`);
  }
  const signer = parseSignerKey((await readFile(paths.signerKey, 'utf8')).trim());
  const verifierKey = (await readFile(paths.verifierKey, 'utf8')).trim();
  const verifier = parseVerifierKey(verifierKey);
  if (verifier.name !== signer.name || !Buffer.from(verifier.keyId).equals(Buffer.from(signer.keyId))) {
    throw new Error(`${paths.verifierKey} does not belong to the key in ${paths.signerKey}`);
  }
  return { signer, verifier, verifierKey };
}

/** Opens the store, turning LevelDB's lock error into advice. */
export async function openStore(path: string): Promise<LevelStore> {
  try {
    return await LevelStore.open(path);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new Error(`the store ${path} is in use by another process (is the server running? stop it first)`);
    }
    throw error;
  }
}
