import { describe, expect, it } from 'vitest';
import type { Principal, Role } from '../storage/types.js';
import { LogError } from '../util/errors.js';
import { DEFAULT_RATE_LIMITS, RateLimiter } from './ratelimit.js';

const principal = (name: string, role: Role = 'submitter'): Principal => ({ name, role, createdAt: 0 });

/** A limiter on a clock the test moves. */
function limiter(limits = { submitter: { perSecond: 10, burst: 20 } }) {
  let now = 0;
  const limited: Role[] = [];
  const l = new RateLimiter(limits, { now: () => now, onLimited: (role) => limited.push(role) });
  return { l, limited, advance: (ms: number) => (now += ms) };
}

/** The refusal take() throws, or undefined if it let the request through. */
function refusal(fn: () => void): LogError | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof LogError) return e;
    throw e;
  }
}

describe('RateLimiter', () => {
  it('lets a burst through, then refuses with the whole seconds until a retry can succeed', () => {
    const { l, limited } = limiter();
    for (let i = 0; i < 20; i++) l.take(principal('a'));
    const e = refusal(() => l.take(principal('a')));
    expect(e?.code).toBe('rateLimited');
    expect(e?.retryAfterSeconds).toBe(1);
    expect(e?.message).toMatch(/^a \(role submitter\) is over its rate limit of 10 entries per second, bursts of up to 20 \(add-entries counts each record\); retry after 1 s$/);
    expect(limited).toEqual(['submitter']);
  });

  it('refills at the rate, never beyond the burst', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 20; i++) l.take(principal('a'));
    advance(500); // 5 back
    for (let i = 0; i < 5; i++) l.take(principal('a'));
    expect(refusal(() => l.take(principal('a')))).toBeDefined();
    advance(3_600_000); // a long pause refills to the burst, not to 36000
    for (let i = 0; i < 20; i++) l.take(principal('a'));
    expect(refusal(() => l.take(principal('a')))).toBeDefined();
  });

  it('charges a batch by its cost, and says how long until the whole of it fits', () => {
    const { l } = limiter();
    l.take(principal('a'), 15);
    const e = refusal(() => l.take(principal('a'), 10)); // 5 left, 5 short at 10/s
    expect(e?.retryAfterSeconds).toBe(1);
    const { l: l2 } = limiter({ submitter: { perSecond: 2, burst: 20 } });
    l2.take(principal('a'), 20);
    expect(refusal(() => l2.take(principal('a'), 7))?.retryAfterSeconds).toBe(4); // 7 at 2/s
  });

  it('gives back what a refused request paid already, and counts it in Retry-After', () => {
    const { l, advance } = limiter({ submitter: { perSecond: 5, burst: 10 } });
    l.take(principal('a'), 10);
    advance(200); // 1 back
    l.take(principal('a'), 1); // a batch of 8: 1 at authentication …
    const e = refusal(() => l.take(principal('a'), 7, 1)); // … the other 7 refused, the 1 given back
    expect(e?.retryAfterSeconds).toBe(2); // 8 wanted, 1 held, at 5/s: 1.4 s, rounded up
    advance(1400); // 1 + 7: exactly the 8 of the retry, had the refusal not kept the 1
    l.take(principal('a'), 1);
    l.take(principal('a'), 7, 1);
  });

  it('lets a cost above the burst through when the bucket is full, and then owes it', () => {
    const { l, advance } = limiter();
    l.take(principal('a'), 50); // a batch larger than the burst: never refused forever
    expect(refusal(() => l.take(principal('a')))?.retryAfterSeconds).toBe(4); // 30 owed, plus the 1 asked, at 10/s
    advance(3100);
    l.take(principal('a'));
  });

  it('keeps principals apart: one spending its budget costs no one else anything', () => {
    const { l } = limiter();
    for (let i = 0; i < 20; i++) l.take(principal('a'));
    expect(refusal(() => l.take(principal('a')))).toBeDefined();
    l.take(principal('b'));
    // Same name, other role: another bucket (and here, no limit at all).
    l.take(principal('a', 'auditor'));
  });

  it('does not limit a role without a limit, nor hold a bucket for it', () => {
    const { l } = limiter({ submitter: { perSecond: 1, burst: 1 } });
    for (let i = 0; i < 1000; i++) l.take(principal('r', 'auditor'));
    expect(l.size).toBe(0);
  });

  it('drops the buckets of principals that went quiet (revoked or idle): memory stays bounded', () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 10_000; i++) l.take(principal(`p${i}`));
    expect(l.size).toBe(10_000);
    advance(61_000); // every bucket has refilled: it holds nothing a new one would not
    l.take(principal('active'));
    expect(l.size).toBe(1);
    // A bucket still refilling is kept (forgetting it would hand back its burst).
    for (let i = 0; i < 20; i++) l.take(principal('busy'));
    advance(60_000);
    for (let i = 0; i < 20; i++) l.take(principal('busy'));
    advance(1000);
    l.take(principal('other'));
    expect(l.size).toBeGreaterThanOrEqual(2);
  });

  it('refuses settings that cannot work', () => {
    expect(() => new RateLimiter({ submitter: { perSecond: 0, burst: 1 } })).toThrow(/perSecond must be a positive number/);
    expect(() => new RateLimiter({ admin: { perSecond: 1, burst: 0.5 } })).toThrow(/burst must be a whole number/);
  });

  it('has defaults whose burst holds a full add-entries batch (1000 records)', () => {
    expect(DEFAULT_RATE_LIMITS.submitter!.burst).toBeGreaterThanOrEqual(1000);
  });
});
