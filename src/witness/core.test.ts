import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT } from '../merkle/index.js';
import { generateSignerKey, parseSignerKey, signCheckpoint } from '../note/index.js';
import type { NoteSigner } from '../note/index.js';
import { parseWitnessConfig } from './config.js';
import { judge, openSubmission } from './core.js';
import { WitnessError } from './errors.js';
import type { CosignedState } from './store.js';

const rand = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const ORIGIN = 'core.example/log';
const keys = generateSignerKey(ORIGIN, rand);
const signer: NoteSigner = parseSignerKey(keys.signerKey);
const logs = new Map(parseWitnessConfig({ logs: [{ origin: ORIGIN, verifier_key: keys.verifierKey }] }).logs.map((l) => [l.origin, l]));
const note = (size: number, rootHash: Uint8Array): string => signCheckpoint({ origin: ORIGIN, size, rootHash, extensions: [] }, signer);

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof WitnessError) return e.code;
    throw e;
  }
  return 'none';
}

describe('the add-checkpoint decision', () => {
  it('checks the format before the origin, the origin before the signature, the signature before the sizes', () => {
    const stranger = parseSignerKey(generateSignerKey('stranger.example/log', rand).signerKey);
    expect(code(() => openSubmission({ oldSize: 0, proof: [], note: 'stranger.example/log\n1\n' }, logs))).toBe('malformed');
    expect(code(() => openSubmission({ oldSize: 9, proof: [], note: signCheckpoint({ origin: 'stranger.example/log', size: 1, rootHash: rand(32), extensions: [] }, stranger) }, logs))).toBe('unknownOrigin');
    const impostor = parseSignerKey(generateSignerKey(ORIGIN, rand).signerKey);
    expect(code(() => openSubmission({ oldSize: 9, proof: [], note: signCheckpoint({ origin: ORIGIN, size: 1, rootHash: rand(32), extensions: [] }, impostor) }, logs))).toBe('forbidden');
    expect(code(() => openSubmission({ oldSize: 9, proof: [], note: note(1, rand(32)) }, logs))).toBe('malformed');
  });

  it('a refused log is refused before the size check; the size before the roots', () => {
    const root = rand(32);
    const state: CosignedState = { size: 5, rootHash: root, logNote: note(5, root), cosignature: '', cosignedAt: 1 };
    const other = openSubmission({ oldSize: 5, proof: [], note: note(5, rand(32)) }, logs);
    expect(code(() => judge(other, state, { evidenceFile: 'f', reason: 'r', since: 0 }))).toBe('refused');
    expect(code(() => judge(openSubmission({ oldSize: 4, proof: [], note: note(5, rand(32)) }, logs), state, undefined))).toBe('conflict');
    expect(judge(other, state, undefined).kind).toBe('fork');
    expect(judge(openSubmission({ oldSize: 5, proof: [], note: note(5, root) }, logs), state, undefined).kind).toBe('cosign');
    // Equal sizes: the proof must be empty.
    expect(code(() => judge(openSubmission({ oldSize: 5, proof: [rand(32)], note: note(5, root) }, logs), state, undefined))).toBe('inconsistent');
  });

  it('a signed size-0 checkpoint must carry the empty root', () => {
    expect(judge(openSubmission({ oldSize: 0, proof: [], note: note(0, EMPTY_ROOT) }, logs), undefined, undefined).kind).toBe('cosign');
    expect(code(() => judge(openSubmission({ oldSize: 0, proof: [], note: note(0, rand(32)) }, logs), undefined, undefined))).toBe('inconsistent');
  });
});
