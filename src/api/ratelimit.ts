/**
 * @module
 * Per-principal rate limits: a token bucket for each authenticated principal, with a rate and a
 * burst per role (spec/formats.md §22.3). Over its limit a request gets `429 rateLimited` with
 * `Retry-After`.
 *
 * - Only authenticated requests are charged: the bucket is taken right after the token is checked,
 *   so an unauthenticated flood costs no token its budget (and is not limited here: the connection
 *   cap and the timeouts of src/api/server.ts bound it).
 * - A bucket belongs to the principal (role and name), not to one token: a principal holding
 *   several tokens shares one budget, and a new token after a rotation does not reset it.
 * - A request costs 1; `add-entries` costs one per record (the handler charges the rest once it has
 *   parsed the batch), so a submitter's limit is in entries per second whichever endpoint it uses.
 *   A refused request is charged nothing. Refused at authentication, a batch is told the wait for
 *   one record (its size is not known yet); refused for its records, the wait for all of them.
 * - Memory: buckets exist only for principals seen recently. A bucket that has refilled to its
 *   burst is the same as no bucket, so sweeps drop those, which is what happens to the bucket of a
 *   revoked or idle token within burst / rate seconds of its last request.
 */
import type { Authenticator } from '../auth/tokens.js';
import type { Principal, Role } from '../storage/types.js';
import { LogError } from '../util/errors.js';

/** A token bucket's settings: it refills at `perSecond` and holds at most `burst`. */
export interface RoleRate {
  readonly perSecond: number;
  readonly burst: number;
}

/** Per role; a role without an entry is not limited. */
export type RateLimits = Readonly<Partial<Record<Role, RoleRate>>>;

/**
 * Generous enough that no ordinary client meets them, low enough that one runaway or stolen token
 * cannot take the whole log:
 * - submitters, 1000 entries/s with bursts of 2000: a gateway writes one entry per LLM call it
 *   forwards, and even a busy one forwards a few hundred a second; the burst holds two full
 *   add-entries batches (1000 records each) back to back. The log itself does a few thousand
 *   entries per second on 2 cores (README, Benchmarks), so a single principal gone wrong leaves
 *   most of it to the others.
 * - auditors and admins, 100 requests/s with bursts of 200: an export reads 1000 records per
 *   request and runs at a few requests a second; erasures and token changes are rarer still.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  submitter: { perSecond: 1000, burst: 2000 },
  auditor: { perSecond: 100, burst: 200 },
  admin: { perSecond: 100, burst: 200 },
};

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in `now()` milliseconds. */
  at: number;
}

/** How often full buckets are swept away, at most. */
const SWEEP_EVERY_MS = 60_000;

export interface RateLimiterOptions {
  /** A monotonic clock in milliseconds. */
  readonly now?: () => number;
  /** Called for each refusal, with the role whose limit was met (for sealtrail_rate_limited_total). */
  readonly onLimited?: (role: Role) => void;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly onLimited: (role: Role) => void;
  private lastSweep: number;

  constructor(
    readonly limits: RateLimits,
    options: RateLimiterOptions = {},
  ) {
    for (const [role, rate] of Object.entries(limits) as [Role, RoleRate][]) {
      if (!(rate.perSecond > 0) || !Number.isFinite(rate.perSecond)) throw new RangeError(`rate limit of ${role}: perSecond must be a positive number`);
      if (!Number.isSafeInteger(rate.burst) || rate.burst < 1) throw new RangeError(`rate limit of ${role}: burst must be a whole number of at least 1`);
    }
    this.now = options.now ?? (() => performance.now());
    this.onLimited = options.onLimited ?? (() => undefined);
    this.lastSweep = this.now();
  }

  /** How many buckets are held (principals seen recently that have not refilled yet). */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Takes `cost` from the principal's bucket, or throws `rateLimited` with the whole seconds until
   * it could succeed. A cost above the burst (a batch larger than the burst) is let through when
   * the bucket is full and leaves it in debt, so no request is refused forever.
   *
   * `paid` is what the same request was charged already (1 at authentication, for the rest of a
   * batch): if this part is refused it is given back, so that a refused request costs nothing and
   * `Retry-After` is the wait for the whole request.
   */
  take(principal: Principal, cost = 1, paid = 0): void {
    const rate = this.limits[principal.role];
    if (rate === undefined || cost <= 0) return;
    const now = this.now();
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(now);
    const key = `${principal.role} ${principal.name}`;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: rate.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(rate.burst, bucket.tokens + ((now - bucket.at) * rate.perSecond) / 1000);
      bucket.at = now;
    }
    const needed = Math.min(cost, rate.burst);
    if (bucket.tokens >= needed) {
      bucket.tokens -= cost;
      return;
    }
    bucket.tokens += paid;
    this.onLimited(principal.role);
    const seconds = Math.max(1, Math.ceil((Math.min(cost + paid, rate.burst) - bucket.tokens) / rate.perSecond));
    const unit = principal.role === 'submitter' ? 'entries' : 'requests';
    throw new LogError(
      'rateLimited',
      `${principal.name} (role ${principal.role}) is over its rate limit of ${rate.perSecond} ${unit} per second, ` +
        `bursts of up to ${rate.burst}${principal.role === 'submitter' ? ' (add-entries counts each record)' : ''}; retry after ${seconds} s`,
      seconds,
    );
  }

  /**
   * The authenticator as handlers see it: `authenticate` also charges the principal one request.
   * Everything else (token management included) goes to `auth` itself.
   */
  guard(auth: Authenticator): Authenticator {
    const authenticate: Authenticator['authenticate'] = (header, roles) => {
      const principal = auth.authenticate(header, roles);
      this.take(principal, 1);
      return principal;
    };
    return new Proxy(auth, {
      get: (target, property) => {
        if (property === 'authenticate') return authenticate;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** Drops the buckets that have refilled: they hold nothing a fresh bucket would not. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      const role = key.slice(0, key.indexOf(' ')) as Role;
      const rate = this.limits[role];
      if (rate === undefined || bucket.tokens + ((now - bucket.at) * rate.perSecond) / 1000 >= rate.burst) this.buckets.delete(key);
    }
  }
}
