/**
 * @module
 * A small seeded PRNG (mulberry32). The same seed gives the same schedule: the same kill moments,
 * the same operations in the same order per client, the same records. What it cannot replay is
 * the operating system's interleaving of processes, which is what the tool is there to vary.
 */
import { randomBytes } from 'node:crypto';

export class Random {
  private state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer from 0 to 2^32-1, got ${seed}`);
    this.state = seed;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`max ${max} is smaller than min ${min}`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[this.int(0, items.length - 1)]!;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(0, 255);
    return out;
  }

  /**
   * An independent stream for one client, derived from this one's seed and `label`, so that what
   * one client draws does not shift what another draws.
   */
  fork(label: number): Random {
    return new Random((Math.imul(this.state ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(label + 1, 0xc2b2ae35)) >>> 0);
  }
}

/** A fresh seed from the system CSPRNG. */
export function randomSeed(): number {
  return randomBytes(4).readUInt32BE(0);
}
