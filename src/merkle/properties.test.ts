/**
 * Property tests over trees of up to a million leaves. Leaf i has the hash SHA-256(uint64be(i)),
 * made on demand, and the reference remembers MTH of ranges of 64 leaves or more, so reference
 * proofs for a large tree cost a few hundred hashes once the first tree has been hashed.
 *
 * SEALTRAIL_LONG=1 runs many more cases.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactRange } from './compact.js';
import { rightEdgeNodes } from './node.js';
import type { NodeId } from './node.js';
import { buildProof, consistencyPlan, inclusionPlan } from './plan.js';
import { ProofError, verifyConsistency, verifyInclusion } from './verify.js';
import {
  RefTree,
  referenceNodeHash,
  rfc9162ConsistencyRoots,
  rfc9162InclusionRoot,
  symbolicNode,
  syntheticLeafHash,
} from './testing/reference.js';
import { longTimeout, parserRuns } from '../testing/runs.js';

// Trees of up to a million leaves: fewer cases than a parser property (src/testing/runs.ts).
const numRuns = parserRuns(30, 2000);
// vitest.config.ts allows 60 s per test; the long run needs more.
const timeout = longTimeout(30 * 60_000);
const MAX_SIZE = 1_000_000;

const tree = new RefTree(syntheticLeafHash, 64);
const getNode = (id: NodeId): Uint8Array => tree.mth(id.index * 2 ** id.level, (id.index + 1) * 2 ** id.level);

const size = fc.integer({ min: 1, max: MAX_SIZE });
/** A leaf and a tree that holds it. */
const leafInTree = size.chain((n) => fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.constant(n)));
/** Two trees, the first strictly smaller and not empty. */
const twoSizes = fc.integer({ min: 2, max: MAX_SIZE }).chain((n) => fc.tuple(fc.integer({ min: 1, max: n - 1 }), fc.constant(n)));

const same = (a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean =>
  a.length === b.length && a.every((x, i) => Buffer.compare(x, b[i]!) === 0);

function rejects(f: () => void): boolean {
  try {
    f();
    return false;
  } catch (e) {
    if (e instanceof ProofError) return true;
    throw e;
  }
}

/** One mutation of a proof: flip one bit, drop one hash, or add one. */
type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'drop'; at: number } | { kind: 'add'; at: number; hash: Uint8Array };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
);

/** Applies `m` to a copy of `proof`; undefined when it does not apply (flip or drop in an empty proof). */
function mutate(proof: readonly Uint8Array[], m: Mutation): Uint8Array[] | undefined {
  const copy: Uint8Array[] = proof.map((h) => new Uint8Array(h));
  if (m.kind === 'add') {
    copy.splice(m.at % (copy.length + 1), 0, m.hash);
    return copy;
  }
  if (copy.length === 0) return undefined;
  const at = m.at % copy.length;
  if (m.kind === 'drop') copy.splice(at, 1);
  else copy[at]![m.bit >> 3]! ^= 1 << (m.bit & 7);
  return copy;
}

/** Other claims about the position or the sizes: the upstream vectors' mutations, and arbitrary ones. */
const otherNumbers = (a: number, b: number): fc.Arbitrary<[number, number]> =>
  fc.oneof(
    fc.constantFrom<[number, number]>(
      [a + 1, b],
      [a - 1, b],
      [a ^ 2, b],
      [a, b + 1],
      [a, b - 1],
      [a, b * 2],
      [a, Math.floor(b / 2)],
      [a + 1, b + 1],
      [a - 1, b - 1],
      [b, a],
    ),
    fc.tuple(fc.integer({ min: 0, max: MAX_SIZE }), fc.integer({ min: 0, max: 2 * MAX_SIZE })),
  ).filter(([x, y]) => (x !== a || y !== b) && x >= 0 && y >= 0);

const symbols = (count: number): string[] => Array.from({ length: count }, (_, i) => `p${i}`);

describe(`proofs in trees of up to ${MAX_SIZE} leaves`, () => {
  it('inclusion: our proof is the reference PATH and verifies, with both verifiers', () => {
    fc.assert(
      fc.property(leafInTree, ([index, n]) => {
        const proof = buildProof(inclusionPlan(index, n), getNode);
        expect(same(proof, tree.path(index, n))).toBe(true);
        const root = tree.mth(0, n);
        verifyInclusion(index, n, syntheticLeafHash(index), proof, root);
        expect(rfc9162InclusionRoot(index, n, syntheticLeafHash(index), proof, referenceNodeHash)).toEqual(root);
      }),
      { numRuns },
    );
  }, timeout);

  it('consistency: our proof is the reference PROOF and verifies, with both verifiers', () => {
    fc.assert(
      fc.property(twoSizes, ([size1, size2]) => {
        const proof = buildProof(consistencyPlan(size1, size2), getNode);
        expect(same(proof, tree.proof(size1, size2))).toBe(true);
        const [root1, root2] = [tree.mth(0, size1), tree.mth(0, size2)];
        verifyConsistency(size1, size2, root1, root2, proof);
        expect(rfc9162ConsistencyRoots(size1, size2, root1, proof, referenceNodeHash)).toEqual({ first: root1, second: root2 });
      }),
      { numRuns },
    );
  }, timeout);

  it('CompactRange: rebuilt from the right edge of any size, it has the MTH root and keeps growing correctly', () => {
    fc.assert(
      fc.property(size, fc.integer({ min: 1, max: 40 }), (n, more) => {
        const range = CompactRange.fromNodes(n, rightEdgeNodes(n).map(getNode));
        expect(range.root()).toEqual(tree.mth(0, n));
        for (let i = n; i < n + more; i++) {
          range.append(syntheticLeafHash(i), (id, hash) => expect(hash).toEqual(getNode(id)));
        }
        expect(range.root()).toEqual(tree.mth(0, n + more));
      }),
      { numRuns },
    );
  }, timeout);
});

describe('mutated proofs fail', () => {
  it('inclusion: one bit flipped, one hash dropped or one added', () => {
    fc.assert(
      fc.property(leafInTree, mutation, ([index, n], m) => {
        const proof = buildProof(inclusionPlan(index, n), getNode);
        const mutated = mutate(proof, m);
        fc.pre(mutated !== undefined);
        expect(rejects(() => verifyInclusion(index, n, syntheticLeafHash(index), mutated!, tree.mth(0, n)))).toBe(true);
      }),
      { numRuns: numRuns * 3 },
    );
  }, timeout);

  it('inclusion: a bit flipped in the leaf hash or the root', () => {
    fc.assert(
      fc.property(leafInTree, fc.boolean(), fc.integer({ min: 0, max: 255 }), ([index, n], inLeaf, bit) => {
        const proof = buildProof(inclusionPlan(index, n), getNode);
        const [leaf, root] = [syntheticLeafHash(index), tree.mth(0, n)];
        (inLeaf ? leaf : root)[bit >> 3]! ^= 1 << (bit & 7);
        expect(rejects(() => verifyInclusion(index, n, leaf, proof, root))).toBe(true);
      }),
      { numRuns },
    );
  }, timeout);

  it('inclusion: another index or size fails, unless RFC 9162 verification folds the proof identically', () => {
    // Example of the exception: leaf 2 of 3 and leaf 1 of 2 both compute H(p0, leaf), so no
    // verifier can tell them apart. Every other change must fail.
    let failed = 0;
    fc.assert(
      fc.property(leafInTree.chain(([i, n]) => fc.tuple(fc.constant([i, n] as const), otherNumbers(i, n))), ([[index, n], [index2, n2]]) => {
        const proof = buildProof(inclusionPlan(index, n), getNode);
        const shape = (i: number, s: number): string | undefined => rfc9162InclusionRoot(i, s, 'leaf', symbols(proof.length), symbolicNode);
        const indistinguishable = index2 < n2 && shape(index2, n2) === shape(index, n);
        const rejected = rejects(() => verifyInclusion(index2, n2, syntheticLeafHash(index), proof, tree.mth(0, n)));
        expect(rejected).toBe(!indistinguishable);
        if (rejected) failed++;
      }),
      { numRuns: numRuns * 3 },
    );
    expect(failed).toBeGreaterThan(0);
  }, timeout);

  it('consistency: one bit flipped, one hash dropped or one added', () => {
    fc.assert(
      fc.property(twoSizes, mutation, ([size1, size2], m) => {
        const proof = buildProof(consistencyPlan(size1, size2), getNode);
        const mutated = mutate(proof, m);
        fc.pre(mutated !== undefined);
        expect(rejects(() => verifyConsistency(size1, size2, tree.mth(0, size1), tree.mth(0, size2), mutated!))).toBe(true);
      }),
      { numRuns: numRuns * 3 },
    );
  }, timeout);

  it('consistency: a bit flipped in either root', () => {
    fc.assert(
      fc.property(twoSizes, fc.boolean(), fc.integer({ min: 0, max: 255 }), ([size1, size2], first, bit) => {
        const proof = buildProof(consistencyPlan(size1, size2), getNode);
        const [root1, root2] = [tree.mth(0, size1), tree.mth(0, size2)];
        (first ? root1 : root2)[bit >> 3]! ^= 1 << (bit & 7);
        expect(rejects(() => verifyConsistency(size1, size2, root1, root2, proof))).toBe(true);
      }),
      { numRuns },
    );
  }, timeout);

  it('consistency: other sizes fail, unless RFC 9162 verification computes both roots identically', () => {
    // Symbolically: the proof hashes are p0, p1, ...; root1 is what the true proof makes of them
    // (or itself when size1 is a power of two) and root2 likewise. Different sizes verify only if
    // they make the very same expressions, e.g. 1 → 2 and 2 → 3 (both: root2 = H(root1, p0)).
    let failed = 0;
    fc.assert(
      fc.property(twoSizes.chain(([a, b]) => fc.tuple(fc.constant([a, b] as const), otherNumbers(a, b))), ([[size1, size2], [other1, other2]]) => {
        const proof = buildProof(consistencyPlan(size1, size2), getNode);
        const p = symbols(proof.length);
        const truth = rfc9162ConsistencyRoots(size1, size2, 'root1', p, symbolicNode)!;
        const claimed =
          other1 > 0 && other1 < other2 ? rfc9162ConsistencyRoots(other1, other2, truth.first, p, symbolicNode) : undefined;
        const indistinguishable = claimed !== undefined && claimed.first === truth.first && claimed.second === truth.second;
        const rejected = rejects(() => verifyConsistency(other1, other2, tree.mth(0, size1), tree.mth(0, size2), proof));
        expect(rejected).toBe(!indistinguishable);
        if (rejected) failed++;
      }),
      { numRuns: numRuns * 3 },
    );
    expect(failed).toBeGreaterThan(0);
  }, timeout);
});
