import type { RateLimitSpec } from "../keys/key-record.js";
import type { LimitResult } from "../ratelimit/gcra.js";
import { LocalLimiter } from "../ratelimit/local-limiter.js";

/**
 * Bounds the database lookups one source address can cause with keys that do not exist. A key with a valid
 * checksum is easy to make (the checksum is public), and each new one misses every cache; past this budget a
 * source's cache misses are answered 429 instead of queried, until the budget refills. Keys already cached
 * are not affected, and a lookup that finds a key costs nothing.
 */
export class UnknownKeyGuard {
  private readonly limiter: LocalLimiter;

  constructor(
    readonly spec: RateLimitSpec,
    now: () => number,
    maxSources = 100_000,
  ) {
    this.limiter = new LocalLimiter(now, maxSources);
  }

  /** Why `source` may not cause another lookup now (its budget is spent), or null when it may. */
  refusal(source: string): LimitResult | null {
    const result = this.limiter.peek(source, this.spec);
    return result.allowed ? null : result;
  }

  /** Spends one of `source`'s lookups: one just found no key. */
  charge(source: string): void {
    this.limiter.take(source, this.spec);
  }
}
