/**
 * @module
 * What the witness tells the anchoring subsystem (src/witness/anchor.ts, whose interface this is):
 * every durable cosignature, and every fork evidence. The witness core depends only on this shape.
 */
import type { AnchorTrigger } from './anchor.js';

export type { AnchorTrigger, CosignedCheckpoint } from './anchor.js';

/** For a witness without anchors, and for tests of the core alone. */
export const NO_ANCHORS: AnchorTrigger = {
  noteCosigned() {},
  notifyFork: async () => {},
  close: async () => {},
};
