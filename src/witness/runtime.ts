/**
 * @module
 * Opens a witness for `serve` and `watch`: the configuration (refused at start if bad), the key,
 * the store, the anchorer, and the Witness over them; closes them in the order that loses nothing.
 */
import { Anchorer } from './anchor.js';
import { ConfigError, loadWitnessConfig } from './config.js';
import type { WitnessConfig } from './config.js';
import { loadWitnessKey, openWitnessStore, witnessPaths } from './datadir.js';
import type { Level, Logger } from './logger.js';
import type { WitnessStore } from './store.js';
import { Witness } from './witness.js';

export interface OpenedWitness {
  readonly witness: Witness;
  readonly config: WitnessConfig;
  readonly verifierKey: string;
  /** Delivers the anchors due now (one attempt each), e.g. before `watch --once` exits. */
  flushAnchors(): Promise<void>;
  /** Waits for notifications, closes the anchorer, then the store. */
  close(): Promise<void>;
}

export async function openWitness(dir: string, configFile: string, logger: Logger): Promise<OpenedWitness> {
  let config: WitnessConfig;
  try {
    config = await loadWitnessConfig(configFile);
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`bad configuration ${configFile}: ${e.message}`);
    throw new Error(`cannot read the configuration ${configFile}: ${(e as Error).message}`);
  }
  const { cosigner, verifierKey } = await loadWitnessKey(dir);
  const store: WitnessStore = await openWitnessStore(dir, verifierKey);
  let anchorer: Anchorer;
  try {
    anchorer = await Anchorer.open({
      dir,
      sinks: config.anchors,
      everyEntries: config.anchor_every_entries,
      everySeconds: config.anchor_every_seconds,
      witnessVerifierKey: verifierKey,
      log: ({ level, msg, ...fields }) => logger.log(asLevel(level), String(msg), fields),
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  const witness = new Witness({
    store,
    cosigner,
    verifierKey,
    logs: config.logs,
    evidenceDir: witnessPaths(dir).evidence,
    trigger: anchorer,
    logger,
  });
  let closed: Promise<void> | undefined;
  return {
    witness,
    config,
    verifierKey,
    flushAnchors: () => anchorer.flush(),
    close: () =>
      (closed ??= (async () => {
        try {
          await witness.close();
        } finally {
          await store.close();
        }
      })()),
  };
}

function asLevel(level: unknown): Level {
  return level === 'error' || level === 'warn' ? level : 'info';
}
