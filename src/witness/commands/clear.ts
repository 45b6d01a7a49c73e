/**
 * @module
 * `sealtrail witness clear`: the operator's way out of a refusal after fork evidence.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AnchorStore, isLockedError } from '../anchor-store.js';
import { parse, required } from '../../cli/usage.js';
import type { Command } from '../../cli/usage.js';
import { loadWitnessKey, openWitnessStore } from '../datadir.js';

export const clearCommand: Command = {
  name: 'clear',
  summary: 'stop refusing a log after its fork evidence has been dealt with',
  help: `Usage: sealtrail witness clear --data DIR --origin ORIGIN [--reset]

After fork evidence, the witness refuses the log until an operator has examined the evidence file
(DIR/evidence/) and runs this. Without --reset the witness keeps its latest cosigned checkpoint,
so it still accepts only checkpoints proven consistent with it. With --reset it also forgets that
checkpoint: the next one is accepted from old size 0 (trust on first use again), which is what a
log that was rebuilt needs. Cosignature timestamps still never go backwards.

The witness must be stopped (its store is opened exclusively).

Options:
  --data DIR       the witness's data directory
  --origin ORIGIN  the log's origin
  --reset          also forget the latest cosigned checkpoint of ORIGIN
  -h, --help       show this help`,
  async run(argv) {
    const { values } = parse(argv, { data: { type: 'string' }, origin: { type: 'string' }, reset: { type: 'boolean' } });
    const dir = required(values.data, '--data');
    const origin = required(values.origin, '--origin');
    const reset = values.reset === true;
    const { verifierKey } = await loadWitnessKey(dir);
    const store = await openWitnessStore(dir, verifierKey);
    try {
      const [refusal, state] = await Promise.all([store.readRefusal(origin), store.readState(origin)]);
      await store.clear(origin, reset);
      console.log(
        refusal
          ? `${origin}: no longer refused (the evidence stays in ${refusal.evidenceFile})`
          : `${origin}: was not refused`,
      );
      if (reset) {
        console.log(
          state
            ? `${origin}: forgot the cosigned checkpoint of tree size ${state.size}; the next checkpoint is accepted from old size 0`
            : `${origin}: had no cosigned checkpoint`,
        );
        if (await forgetAnchoring(dir, origin)) console.log(`${origin}: anchoring starts over with the next cosigned checkpoint (earlier anchors stay)`);
      } else if (state) {
        console.log(`${origin}: the latest cosigned checkpoint stays at tree size ${state.size}`);
      }
    } finally {
      await store.close();
    }
    return 0;
  },
};

/** Forgets the anchoring state of `origin`, if the witness anchors at all (DIR/anchors exists). */
async function forgetAnchoring(dir: string, origin: string): Promise<boolean> {
  const path = join(dir, 'anchors');
  if (!(await stat(path).then(() => true, () => false))) return false;
  let anchors: AnchorStore;
  try {
    anchors = await AnchorStore.open(path, { createIfMissing: false });
  } catch (error) {
    if (isLockedError(error)) throw new Error(`the anchor store ${path} is in use by a running witness; stop it first`);
    throw error;
  }
  try {
    return await anchors.forgetOrigin(origin);
  } finally {
    await anchors.close();
  }
}
