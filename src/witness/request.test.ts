import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WitnessError } from './errors.js';
import { MAX_PROOF_LINES, formatAddCheckpoint, parseAddCheckpoint } from './request.js';

const NOTE = 'example.com/log\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u2014 example.com/log Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
const HASH = 'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=';

describe('add-checkpoint body (tlog-witness v1.0.0)', () => {
  it('parses the old size, the proof lines and the note (whose own blank line is not the separator)', () => {
    const request = parseAddCheckpoint(`old 20852014\n${HASH}\n${HASH}\n\n${NOTE}`);
    expect(request.oldSize).toBe(20852014);
    expect(request.proof).toHaveLength(2);
    expect(Buffer.from(request.proof[0]!).toString('base64')).toBe(HASH);
    expect(request.note).toBe(NOTE);
    expect(parseAddCheckpoint(`old 0\n\n${NOTE}`)).toEqual({ oldSize: 0, proof: [], note: NOTE });
  });

  it('accepts 63 proof lines and refuses 64', () => {
    expect(parseAddCheckpoint(`old 1\n${`${HASH}\n`.repeat(MAX_PROOF_LINES)}\n${NOTE}`).proof).toHaveLength(63);
    expect(() => parseAddCheckpoint(`old 1\n${`${HASH}\n`.repeat(64)}\n${NOTE}`)).toThrow(/more than 63/);
  });

  it('refuses every other spelling with WitnessError malformed', () => {
    for (const text of ['old 1', 'old 1\n', 'old  1\n\nx', 'old +1\n\nx', 'old 1.0\n\nx', `old 1\n${HASH.slice(0, -1)}\n\nx`, `old 1\n${HASH} \n\nx`, 'old 1\n\n']) {
      expect(() => parseAddCheckpoint(text), JSON.stringify(text)).toThrow(WitnessError);
      try {
        parseAddCheckpoint(text);
      } catch (e) {
        expect((e as WitnessError).code).toBe('malformed');
      }
    }
  });

  it('round-trips through formatAddCheckpoint', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: MAX_PROOF_LINES }),
        (oldSize, proof) => {
          const parsed = parseAddCheckpoint(formatAddCheckpoint({ oldSize, proof, note: NOTE }));
          expect(parsed.oldSize).toBe(oldSize);
          expect(parsed.proof.map((h) => Buffer.from(h).toString('hex'))).toEqual(proof.map((h) => Buffer.from(h).toString('hex')));
          expect(parsed.note).toBe(NOTE);
        },
      ),
      { numRuns: 200 },
    );
  });
});
