import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { RateLimit } from "../gen/keyward/admin/v1/key_pb.js";
import type { RateLimitSpec } from "../keys/key-record.js";
import type { Violations } from "../keys/validation.js";
import { permissionDenied } from "./errors.js";
import { canManage, isPlatform, type Principal } from "./principal.js";

const DAY_MS = 86_400_000;
const MAX_TTL_MS = 100 * 365 * DAY_MS;

/** A protobuf Duration in milliseconds, or undefined (with a violation) when out of range. */
export function durationMs(v: Violations, field: string, d: Duration, max = MAX_TTL_MS): number | undefined {
  // Either part negative makes the Duration negative (or malformed): `{seconds: 0, nanos: -5}` is not zero.
  if (d.seconds < 0n || d.nanos < 0) {
    v.add(field, "must not be negative");
    return undefined;
  }
  if (d.nanos > 999_999_999) {
    v.add(field, "is not a valid duration");
    return undefined;
  }
  const ms = Number(d.seconds) * 1000 + Math.trunc(d.nanos / 1_000_000);
  if (ms > max) {
    v.add(field, `must be at most ${Math.round(max / DAY_MS)} days`);
    return undefined;
  }
  return ms;
}

/** A Timestamp as a Date; a violation when out of range. */
export function timestampInput(v: Violations, field: string, t: Timestamp): Date | null {
  const date = timestampDate(t);
  if (Number.isNaN(date.getTime()) || t.nanos < 0 || t.nanos > 999_999_999) {
    v.add(field, "is not a valid time");
    return null;
  }
  return date;
}

/** Expiry from `expire_time` or `ttl` (at most one). */
export function expiryInput(
  v: Violations,
  expireTime: Timestamp | undefined,
  ttl: Duration | undefined,
  now: number,
): Date | null {
  if (expireTime && ttl) {
    v.add("ttl", "set expire_time or ttl, not both");
    return null;
  }
  if (expireTime) return timestampInput(v, "expire_time", expireTime);
  if (ttl) {
    const ms = durationMs(v, "ttl", ttl);
    if (ms === 0) v.add("ttl", "must be positive");
    return ms ? new Date(now + ms) : null;
  }
  return null;
}

/** A rate limit from the API; null when unset. */
export function rateLimitInput(
  v: Violations,
  field: string,
  rl: RateLimit | undefined,
): RateLimitSpec | null {
  if (!rl) return null;
  if (rl.requests < 1 || rl.requests > 1_000_000_000)
    v.add(`${field}.requests`, "must be between 1 and 1000000000");
  if (rl.burst > 1_000_000_000) v.add(`${field}.burst`, "must be at most 1000000000");
  const windowMs = rl.window ? durationMs(v, `${field}.window`, rl.window, DAY_MS) : undefined;
  if (windowMs === undefined || windowMs < 1000) {
    if (windowMs !== undefined || !rl.window) v.add(`${field}.window`, "must be between 1s and 1 day");
    return null;
  }
  return { requests: rl.requests, windowMs, burst: rl.burst };
}

/**
 * Nobody grants more than they hold: a company admin works only in its own company and can never hand out
 * `platform:admin`. Everything else in its company (including `keys:admin`, which it holds) it may grant.
 */
export function checkGrant(p: Principal, companyId: string, scopes: readonly string[]): void {
  if (!canManage(p, companyId))
    throw permissionDenied(`cannot manage keys of company "${companyId.slice(0, 128)}"`);
  if (scopes.includes("platform:admin") && !isPlatform(p)) {
    throw permissionDenied("only a platform admin can grant platform:admin");
  }
}
