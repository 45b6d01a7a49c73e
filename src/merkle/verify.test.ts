import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, hashChildren, hashLeaf } from './hasher.js';
import { foldRightEdge, rightEdgeNodes } from './node.js';
import type { NodeId } from './node.js';
import { buildProof, consistencyPlan, inclusionPlan } from './plan.js';
import {
  ProofError,
  rootFromConsistencyProof,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './verify.js';

const leaves = Array.from({ length: 8 }, (_, i) => hashLeaf(Uint8Array.of(i)));
const node = (id: NodeId): Uint8Array =>
  id.level === 0
    ? leaves[id.index]!
    : hashChildren(node({ level: id.level - 1, index: 2 * id.index }), node({ level: id.level - 1, index: 2 * id.index + 1 }));
const root = (size: number): Uint8Array => foldRightEdge(rightEdgeNodes(size).map(node));
const inclusion = (index: number, size: number): Uint8Array[] => buildProof(inclusionPlan(index, size), node);
const consistency = (size1: number, size2: number): Uint8Array[] => buildProof(consistencyPlan(size1, size2), node);

/** Asserts that `f` throws a ProofError with this code and message. */
function expectProofError(f: () => unknown, code: string, message: string | RegExp): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ProofError);
  expect((thrown as ProofError).code).toBe(code);
  if (typeof message === 'string') expect((thrown as ProofError).message).toBe(message);
  else expect((thrown as ProofError).message).toMatch(message);
}

describe('verifyInclusion', () => {
  it('accepts the audit path of every leaf of a tree of 5', () => {
    for (let i = 0; i < 5; i++) {
      expect(() => verifyInclusion(i, 5, leaves[i]!, inclusion(i, 5), root(5))).not.toThrow();
      expect(rootFromInclusionProof(i, 5, leaves[i]!, inclusion(i, 5))).toEqual(root(5));
    }
  });

  it('treats a tree of one as its own leaf, returning a copy', () => {
    const r = rootFromInclusionProof(0, 1, leaves[0]!, []);
    expect(r).toEqual(leaves[0]);
    expect(r).not.toBe(leaves[0]);
  });

  it('says what failed', () => {
    expectProofError(() => verifyInclusion(5, 8, leaves[5]!, inclusion(5, 8).slice(1), root(8)), 'proofLength',
      'proof has 2 hashes, a proof for leaf 5 in a tree of 8 needs 3');
    expectProofError(() => verifyInclusion(5, 8, leaves[4]!, inclusion(5, 8), root(8)), 'rootMismatch',
      /^calculated root \S+ does not match the given root \S+ \(leaf 5, tree size 8\)$/);
    expectProofError(() => verifyInclusion(8, 8, leaves[5]!, [], root(8)), 'sizes', 'leaf index 8 is not below the tree size 8');
    expectProofError(() => verifyInclusion(0, 1, new Uint8Array(0), [], root(1)), 'hashLength', 'leafHash is 0 bytes, a SHA-256 hash is 32');
    expectProofError(() => verifyInclusion(0, 1, leaves[0]!, [], root(1).subarray(1)), 'hashLength', 'root is 31 bytes, a SHA-256 hash is 32');
    expectProofError(() => verifyInclusion(0, 2, leaves[0]!, [new Uint8Array(33)], root(2)), 'hashLength', 'proof[0] is 33 bytes, a SHA-256 hash is 32');
  });

  it('rejects indices and sizes that are no safe non-negative integer as proof failures', () => {
    expectProofError(() => verifyInclusion(2 ** 64 - 1, 1, leaves[0]!, [], root(1)), 'sizes', /^leaf index 18446744073709552000 is not/);
    expectProofError(() => verifyInclusion(-1, 1, leaves[0]!, [], root(1)), 'sizes', 'leaf index -1 is not a safe non-negative integer');
    expectProofError(() => verifyInclusion(0, 1.5, leaves[0]!, [], root(1)), 'sizes', 'tree size 1.5 is not a safe non-negative integer');
  });

  it('throws TypeError for arguments of the wrong type', () => {
    expect(() => verifyInclusion('0' as unknown as number, 1, leaves[0]!, [], root(1))).toThrow(new TypeError('leaf index must be a number'));
    expect(() => verifyInclusion(0, 1, leaves[0]!, null as unknown as Uint8Array[], root(1))).toThrow(TypeError);
    expect(() => verifyInclusion(0, 2, leaves[0]!, ['x' as unknown as Uint8Array], root(2))).toThrow(new TypeError('proof[0] must be a Uint8Array'));
    expect(() => verifyInclusion(0, 1, leaves[0]!, [], 'root' as unknown as Uint8Array)).toThrow(new TypeError('root must be a Uint8Array'));
  });
});

describe('verifyConsistency', () => {
  it('accepts the proof between every pair of sizes 1 <= size1 <= size2 <= 8', () => {
    for (let size2 = 1; size2 <= 8; size2++) {
      for (let size1 = 1; size1 <= size2; size1++) {
        expect(() => verifyConsistency(size1, size2, root(size1), root(size2), consistency(size1, size2))).not.toThrow();
      }
    }
  });

  it('rejects a proof from size 0, even between empty trees: the caller handles old size 0 (C2SP tlog-witness)', () => {
    expectProofError(() => verifyConsistency(0, 3, EMPTY_ROOT, root(3), []), 'sizes',
      'a consistency proof from size 0 proves nothing; size1 must be at least 1');
    expectProofError(() => verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, []), 'sizes', /size 0 proves nothing/);
  });

  it('between equal sizes needs an empty proof and equal roots', () => {
    expect(rootFromConsistencyProof(3, 3, root(3), [])).toEqual(root(3));
    expectProofError(() => verifyConsistency(3, 3, root(3), root(3), [root(3)]), 'proofLength',
      'proof has 1 hashes, a proof between equal sizes (3) must be empty');
    expectProofError(() => verifyConsistency(3, 3, root(3), root(4), []), 'rootMismatch', /^calculated root2 /);
  });

  it('says what failed', () => {
    expectProofError(() => verifyConsistency(6, 8, root(6), root(8), [...consistency(6, 8), leaves[0]!]), 'proofLength',
      'proof has 4 hashes, a consistency proof from size 6 to 8 needs 3');
    expectProofError(() => verifyConsistency(6, 8, root(5), root(8), consistency(6, 8)), 'rootMismatch',
      /^calculated root1 \S+ does not match the given root1 \S+ \(consistency from size 6 to 8\)$/);
    expectProofError(() => verifyConsistency(6, 8, root(6), root(7), consistency(6, 8)), 'rootMismatch',
      /^calculated root2 \S+ does not match the given root2 /);
    expectProofError(() => verifyConsistency(7, 6, root(7), root(6), []), 'sizes', 'size1 7 is larger than size2 6');
    expectProofError(() => verifyConsistency(6, 8, root(6).subarray(0, 9), root(8), consistency(6, 8)), 'hashLength',
      'root1 is 9 bytes, a SHA-256 hash is 32');
    expectProofError(() => verifyConsistency(6, 8, root(6), new Uint8Array(0), consistency(6, 8)), 'hashLength',
      'root2 is 0 bytes, a SHA-256 hash is 32');
  });

  it('checks root1 against the proof even when size1 is a power of two and the proof omits it', () => {
    // The old root enters the computation of the new one, so a wrong root1 shows up as a wrong root2.
    expectProofError(() => verifyConsistency(4, 7, root(3), root(7), consistency(4, 7)), 'rootMismatch', /^calculated root2 /);
  });

  it('throws TypeError for arguments of the wrong type', () => {
    expect(() => verifyConsistency(1, 2, root(1), root(2), 'proof' as unknown as Uint8Array[])).toThrow(TypeError);
    expect(() => verifyConsistency(1, 2, root(1), [] as unknown as Uint8Array, [])).toThrow(new TypeError('root2 must be a Uint8Array'));
    expect(() => verifyConsistency(1n as unknown as number, 2, root(1), root(2), [])).toThrow(new TypeError('size1 must be a number'));
  });
});

describe('what a proof cannot show', () => {
  it('only the order in which hashes combine: leaf 2 of 3 and leaf 1 of 2 both compute H(p0, leaf)', () => {
    // So the tree size must come from a signed checkpoint, never from the proof's sender alone.
    const proof = inclusion(2, 3);
    expect(() => verifyInclusion(1, 2, leaves[2]!, proof, root(3))).not.toThrow();
    expect(() => verifyConsistency(2, 3, root(1), root(2), consistency(1, 2))).not.toThrow();
  });
});
