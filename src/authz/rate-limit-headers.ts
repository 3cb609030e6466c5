import type { HeaderValueOption } from "../gen/envoy/config/core/v3/base_pb.js";
import type { RateLimitSpec } from "../keys/key-record.js";
import type { LimitResult } from "../ratelimit/gcra.js";
import { overwrite } from "./check-response.js";

/**
 * The rate-limit headers a client sees: the IETF draft's structured `ratelimit-policy` (quota `q` per window
 * `w` seconds) and `ratelimit` (remaining `r`, seconds to full `t`), plus the widespread x-ratelimit-* trio.
 */
export function rateLimitHeaders(
  spec: RateLimitSpec,
  result: LimitResult,
  policy = "key",
): HeaderValueOption[] {
  const windowSeconds = Math.max(1, Math.round(spec.windowMs / 1000));
  const resetSeconds = Math.ceil(result.resetMs / 1000);
  return [
    overwrite("ratelimit-policy", `"${policy}";q=${spec.requests};w=${windowSeconds}`),
    overwrite("ratelimit", `"${policy}";r=${result.remaining};t=${resetSeconds}`),
    overwrite("x-ratelimit-limit", String(spec.requests)),
    overwrite("x-ratelimit-remaining", String(result.remaining)),
    overwrite("x-ratelimit-reset", String(resetSeconds)),
  ];
}

/** Seconds a client should wait before retrying: whole seconds, never zero. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
