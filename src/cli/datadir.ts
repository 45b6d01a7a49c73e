/**
 * @module
 * The data directory: `log.key` (the signer key, mode 0600), `log.vkey` (the verifier key, public)
 * and `db/` (LevelDB). The master key (spec/formats.md §20) is never in it: it comes from
 * `--master-key FILE`, else `SEALTRAIL_MASTER_KEY` (base64), else the file `DIR.master-key` beside
 * the directory, which `init` and the first `serve` create when given none.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { Log } from '../log/log.js';
import { generateSignerKey, parseSignerKey, parseVerifierKey } from '../note/index.js';
import type { NoteSigner, NoteVerifier } from '../note/index.js';
import { generateMasterKey, parseMasterKey } from '../storage/crypto.js';
import type { MasterKey } from '../storage/crypto.js';
import { LevelStore } from '../storage/level.js';
import { readSecretFile, writeSecretFile } from '../util/secret-file.js';

export const MASTER_KEY_ENV = 'SEALTRAIL_MASTER_KEY';

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

/** Where `init` and the first `serve` put a master key they create: beside DIR, never inside it. */
export function defaultMasterKeyPath(dir: string): string {
  return `${resolve(dir)}.master-key`;
}

/** A master key and where it came from (for messages). */
export interface FoundMasterKey {
  readonly key: MasterKey;
  readonly source: string;
}

/** Reads a master key file, refusing one inside the data directory or readable by others. */
export async function readMasterKeyFile(file: string, dir: string): Promise<FoundMasterKey> {
  const inside = relative(resolve(dir), resolve(file));
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside))) {
    throw new Error(`the master key ${file} is inside the data directory ${dir}; keep it elsewhere (a copy of the directory must not carry its key)`);
  }
  return { key: parseMasterKey(await readSecretFile(file, 'the master key file'), file), source: file };
}

/**
 * The master key: from `file` (--master-key), else the environment (SEALTRAIL_MASTER_KEY, base64),
 * else DIR.master-key if it exists; undefined if none is given.
 */
export async function findMasterKey(dir: string, file?: string): Promise<FoundMasterKey | undefined> {
  if (file !== undefined) return readMasterKeyFile(file, dir);
  const env = process.env[MASTER_KEY_ENV];
  if (env !== undefined && env !== '') {
    return { key: parseMasterKey(Buffer.from(env, 'latin1'), `the environment variable ${MASTER_KEY_ENV}`), source: MASTER_KEY_ENV };
  }
  const beside = defaultMasterKeyPath(dir);
  return (await exists(beside)) ? readMasterKeyFile(beside, dir) : undefined;
}

/** The master key a log needs for its records; refuses with advice when none is given. */
export async function requireMasterKey(dir: string, file?: string): Promise<FoundMasterKey> {
  const found = await findMasterKey(dir, file);
  if (found) return found;
  throw new Error(
    `the log in ${dir} is encrypted at rest and needs its master key: give --master-key FILE or set ${MASTER_KEY_ENV} (base64); ` +
      `none was given and ${defaultMasterKeyPath(dir)} does not exist`,
  );
}

/** Writes a new random master key to DIR.master-key (mode 0600; refuses to overwrite one). */
export async function createMasterKey(dir: string): Promise<FoundMasterKey> {
  const path = defaultMasterKeyPath(dir);
  const key = generateMasterKey();
  await mkdir(dirname(path), { recursive: true });
  await writeSecretFile(path, `${Buffer.from(key).toString('base64')}\n`);
  return { key, source: path };
}

/**
 * Creates a log: a new key and an empty store, its records encrypted under `masterKey` (spec §20).
 * Without one, uses the master key findMasterKey finds, or creates DIR.master-key (and says so in
 * `createdMasterKey`). Refuses if DIR already holds a log.
 */
export async function initLog(dir: string, origin: string, masterKey?: MasterKey): Promise<{ verifierKey: string; createdMasterKey?: string }> {
  const paths = dataPaths(dir);
  if ((await exists(paths.signerKey)) || (await exists(paths.db))) {
    throw new Error(`${dir} already holds a log (found ${paths.signerKey} or ${paths.db}); choose an empty directory`);
  }
  let createdMasterKey: string | undefined;
  if (masterKey === undefined) {
    let found = await findMasterKey(dir);
    if (found === undefined) {
      found = await createMasterKey(dir);
      createdMasterKey = found.source;
    }
    masterKey = found.key;
  }
  const { signerKey, verifierKey } = generateSignerKey(origin, (n) => new Uint8Array(randomBytes(n)));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeSecretFile(paths.signerKey, `${signerKey}\n`);
  await writeFile(paths.verifierKey, `${verifierKey}\n`, { mode: 0o644, flag: 'wx' });
  const store = await openStore(paths.db, masterKey);
  try {
    await Log.initialise(store, parseSignerKey(signerKey));
  } finally {
    await store.close();
  }
  return { verifierKey, ...(createdMasterKey !== undefined ? { createdMasterKey } : {}) };
}

/** Reads the log's keys, refusing a signer key file that others can read. */
export async function loadKeys(dir: string): Promise<{ signer: NoteSigner; verifier: NoteVerifier; verifierKey: string }> {
  const paths = dataPaths(dir);
  if (!(await exists(paths.signerKey))) {
    throw new Error(`no log in ${dir}: ${paths.signerKey} is missing (create one with: sealtrail init --data ${dir} --origin NAME)`);
  }
  const signer = parseSignerKey((await readSecretFile(paths.signerKey, "the log's signing key")).toString('utf8').trim());
  const verifierKey = (await readFile(paths.verifierKey, 'utf8')).trim();
  const verifier = parseVerifierKey(verifierKey);
  if (verifier.name !== signer.name || !Buffer.from(verifier.keyId).equals(Buffer.from(signer.keyId))) {
    throw new Error(`${paths.verifierKey} does not belong to the key in ${paths.signerKey}`);
  }
  return { signer, verifier, verifierKey };
}

/**
 * Opens the store, turning LevelDB's lock error into advice. `masterKey` undefined: the one
 * findMasterKey finds beside the store's directory, if any (tokens and the tree need none; records do).
 */
export async function openStore(path: string, masterKey?: MasterKey): Promise<LevelStore> {
  // Best effort: whatever needs records asks for the key itself (requireMasterKey) and says why.
  const key = masterKey ?? (await findMasterKey(dirname(path)).catch(() => undefined))?.key;
  try {
    return await LevelStore.open(path, key);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new Error(`the store ${path} is in use by another process (is the server running? stop it first)`);
    }
    throw error;
  }
}

/** Refuses a directory that holds no log store, saying how to create one. */
export async function requireStore(dir: string): Promise<string> {
  const { db } = dataPaths(dir);
  if (!(await exists(db))) throw new Error(`no log in ${dir} (create one with: sealtrail init --data ${dir} --origin NAME)`);
  return db;
}

/**
 * Opens the log in `dir` with its keys and master key (`masterKeyFile`, else the usual lookup), and
 * checks it as the server does: for the commands that work on a stopped log. Closing the log
 * closes the store.
 */
export async function openLog(dir: string, masterKeyFile?: string): Promise<{ log: Log; store: LevelStore }> {
  const db = await requireStore(dir);
  const { signer, verifier } = await loadKeys(dir);
  const store = await openStore(db, (await requireMasterKey(dir, masterKeyFile)).key);
  try {
    return { log: await Log.open({ store, signer, verifier }), store };
  } catch (e) {
    await store.close();
    throw e;
  }
}
