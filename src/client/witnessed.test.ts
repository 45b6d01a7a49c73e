import { describe, expect, it } from 'vitest';
import { addSignatures, cosignerFromSeed, generateCosignerKey, generateSignerKey, parseSignerKey, parseVerifierKey, signCheckpoint } from '../note/index.js';
import { cosignersOf } from './witnessed.js';

const seed = (b: number): Uint8Array => new Uint8Array(32).fill(b);
const log = parseSignerKey(generateSignerKey('log.example', () => seed(1)).signerKey);
const note = signCheckpoint({ origin: 'log.example', size: 3, rootHash: seed(9), extensions: [] }, log);
const text = note.slice(0, note.indexOf('\n\n') + 1);
const w1 = cosignerFromSeed('w1.example', seed(2));
const w2 = cosignerFromSeed('w2.example', seed(3));
const v1 = parseVerifierKey(generateCosignerKey('w1.example', () => seed(2)).verifierKey);
const v2 = parseVerifierKey(generateCosignerKey('w2.example', () => seed(3)).verifierKey);

describe('cosignersOf', () => {
  it('counts each witness once, however many lines it signed', () => {
    // addSignatures keeps one line per key, so build the doubled note by hand.
    const doubled = `${note}${w1.cosign(text, 100)}${w1.cosign(text, 200)}`;
    expect(cosignersOf(doubled, [v1, v2])).toEqual(['w1.example']);
    expect(cosignersOf(addSignatures(note, [w1.cosign(text, 100), w2.cosign(text, 100)]), [v1, v2]).sort()).toEqual(['w1.example', 'w2.example']);
  });

  it('is empty without a known witness, and an invalid cosignature is an error', () => {
    expect(cosignersOf(note, [v1])).toEqual([]);
    const forged = w1.cosign(text.replace('\n3\n', '\n4\n'), 100);
    expect(() => cosignersOf(`${note}${forged}`, [v1])).toThrow(/does not verify/);
  });
});
