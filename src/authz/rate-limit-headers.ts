import type { RateLimitSpec } from "../keys/key-record.js";
import type { LimitResult } from "../ratelimit/gcra.js";

/** A response header as name and value, before any protocol wraps it. */
export type HeaderPair = readonly [name: string, value: string];

/**
 * The rate-limit headers a client sees: the IETF draft's structured `ratelimit-policy` (quota `q` per window
 * `w` seconds) and `ratelimit` (remaining `r`, seconds to full `t`), plus the widespread x-ratelimit-* trio.
 */
export function rateLimitHeaders(spec: RateLimitSpec, result: LimitResult, policy = "key"): HeaderPair[] {
  const windowSeconds = Math.max(1, Math.round(spec.windowMs / 1000));
  const resetSeconds = Math.ceil(result.resetMs / 1000);
  return [
    ["ratelimit-policy", `"${policy}";q=${spec.requests};w=${windowSeconds}`],
    ["ratelimit", `"${policy}";r=${result.remaining};t=${resetSeconds}`],
    ["x-ratelimit-limit", String(spec.requests)],
    ["x-ratelimit-remaining", String(result.remaining)],
    ["x-ratelimit-reset", String(resetSeconds)],
  ];
}

/** Seconds a client should wait before retrying: whole seconds, never zero. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
