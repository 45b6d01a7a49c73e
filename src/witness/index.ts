/**
 * @module
 * The witness (issue 3; PROTOCOL §7): C2SP tlog-witness add-checkpoint in push mode, polling in
 * watch mode, tlog-cosignature v1.0.1 cosignatures, fork evidence. What others may use.
 */
export { witness, runWitness } from './cli.js';
export {
  ConfigError,
  loadWitnessConfig,
  parseWitnessConfig,
  type AnchorSinkConfig,
  type WitnessConfig,
  type WitnessLogConfig,
} from './config.js';
export { WitnessError, type WitnessErrorCode } from './errors.js';
export { FORK_EVIDENCE_TYPE, type ForkEvidence, type OfferedProof } from './evidence.js';
export { MAX_PROOF_LINES, formatAddCheckpoint, parseAddCheckpoint, type AddCheckpointRequest } from './request.js';
export { Witness, originHash, type Cosigned, type WitnessOptions } from './witness.js';
