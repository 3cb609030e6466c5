import type { RateLimitSpec } from "../keys/key-record.js";

/** One rate-limit decision. Times are milliseconds. */
export interface LimitResult {
  allowed: boolean;
  /** Requests that could still pass right now. */
  remaining: number;
  /** Until the budget is whole again. */
  resetMs: number;
  /** Until the next request can pass (0 when allowed). */
  retryAfterMs: number;
}

/**
 * GCRA, the "virtual scheduling" form of a token bucket: a budget of `requests + burst` that refills at
 * `requests` per window. The whole state is one number, the theoretical arrival time (TAT), which is what
 * makes the same algorithm easy to run atomically in Redis.
 */
export function gcra(
  tat: number | undefined,
  now: number,
  spec: RateLimitSpec,
): LimitResult & { tat: number } {
  const interval = spec.windowMs / spec.requests;
  const capacity = spec.requests + spec.burst;
  const start = Math.max(tat ?? now, now);
  const next = start + interval;
  const ahead = next - now;
  if (ahead > capacity * interval) {
    return {
      allowed: false,
      remaining: 0,
      resetMs: Math.ceil(start - now),
      retryAfterMs: Math.ceil(ahead - capacity * interval),
      tat: start,
    };
  }
  return {
    allowed: true,
    remaining: Math.floor((capacity * interval - ahead) / interval + 1e-9),
    resetMs: Math.ceil(ahead),
    retryAfterMs: 0,
    tat: next,
  };
}
