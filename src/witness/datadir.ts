/**
 * @module
 * The witness's data directory: `witness.key` (the cosigner key, mode 0600; refused if others can
 * read it), `witness.vkey` (its verifier key, public), `db/` (LevelDB, src/witness/store.ts) and
 * `evidence/` (fork evidence files). It never shares a key or a store with a log.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateCosignerKey, parseCosignerKey, parseVerifierKey, SIGNATURE_TYPE_COSIGNATURE } from '../note/index.js';
import type { Cosigner } from '../note/index.js';
import { readSecretFile, writeSecretFile } from '../util/secret-file.js';
import { WitnessStore } from './store.js';

export interface WitnessPaths {
  readonly dir: string;
  readonly signerKey: string;
  readonly verifierKey: string;
  readonly db: string;
  readonly evidence: string;
}

export function witnessPaths(dir: string): WitnessPaths {
  return {
    dir,
    signerKey: join(dir, 'witness.key'),
    verifierKey: join(dir, 'witness.vkey'),
    db: join(dir, 'db'),
    evidence: join(dir, 'evidence'),
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Creates a witness in `dir`: a tlog-cosignature key (PROTOCOL §7) named `name` and an empty store.
 * Refuses a directory that already holds a witness key or store.
 */
export async function initWitness(dir: string, name: string, now: () => number = Date.now): Promise<{ verifierKey: string }> {
  const paths = witnessPaths(dir);
  if ((await exists(paths.signerKey)) || (await exists(paths.db))) {
    throw new Error(`${dir} already holds a witness (found ${paths.signerKey} or ${paths.db}); choose an empty directory`);
  }
  const { signerKey, verifierKey } = generateCosignerKey(name, (n) => new Uint8Array(randomBytes(n)));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // 'wx': never overwrite a key that appeared meanwhile.
  await writeSecretFile(paths.signerKey, `${signerKey}\n`);
  await writeFile(paths.verifierKey, `${verifierKey}\n`, { mode: 0o644, flag: 'wx' });
  const store = await WitnessStore.open(paths.db);
  try {
    await store.writeMeta({ layout: 1, name, verifierKey, createdAt: now() });
  } finally {
    await store.close();
  }
  return { verifierKey };
}

/** Reads the witness key, refusing a key file that others can read or a verifier key that is not its own. */
export async function loadWitnessKey(dir: string): Promise<{ cosigner: Cosigner; verifierKey: string }> {
  const paths = witnessPaths(dir);
  if (!(await exists(paths.signerKey))) {
    throw new Error(`no witness in ${dir}: ${paths.signerKey} is missing (create one with: sealtrail witness init --data ${dir} --name NAME)`);
  }
  const cosigner = parseCosignerKey((await readSecretFile(paths.signerKey, "the witness's key")).toString('utf8').trim());
  const verifierKey = (await readFile(paths.verifierKey, 'utf8')).trim();
  const verifier = parseVerifierKey(verifierKey);
  if (
    verifier.type !== SIGNATURE_TYPE_COSIGNATURE ||
    verifier.name !== cosigner.name ||
    !Buffer.from(verifier.publicKey).equals(Buffer.from(cosigner.publicKey))
  ) {
    throw new Error(`${paths.verifierKey} does not belong to the key in ${paths.signerKey}`);
  }
  return { cosigner, verifierKey };
}

/** Opens the store of an initialised witness and checks that it belongs to this key. */
export async function openWitnessStore(dir: string, verifierKey: string): Promise<WitnessStore> {
  const paths = witnessPaths(dir);
  if (!(await exists(paths.db))) {
    throw new Error(`no witness store in ${dir}: ${paths.db} is missing (create a witness with: sealtrail witness init --data ${dir} --name NAME)`);
  }
  const store = await WitnessStore.open(paths.db);
  try {
    const meta = await store.readMeta();
    if (meta === undefined) throw new Error(`${paths.db} is not a witness store (it has no witness metadata)`);
    if (meta.verifierKey !== verifierKey) {
      throw new Error(`${paths.db} belongs to the witness ${meta.verifierKey}, not to the key in ${paths.signerKey}`);
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
