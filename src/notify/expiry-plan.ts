const DAY_MS = 86_400_000;

/** The scheduled notice a key is due, if any. */
export type DueNotice =
  | { type: "key.expired"; notice: "expired" }
  | { type: "key.expiring"; notice: string; daysLeft: number };

/**
 * Which notice a key expiring at `expireTime` is due at `now`, given warning thresholds (any order): past
 * expiry, `key.expired`; inside one or more thresholds, `key.expiring` for the nearest only (a key created
 * 12 hours before its expiry is warned once, at "1d", not at "7d" too). Each notice is named so the store
 * can keep it to once per key, threshold and expiry time.
 */
export function dueNotice(
  expireTime: number,
  now: number,
  thresholdsMs: readonly number[],
): DueNotice | undefined {
  const left = expireTime - now;
  if (left <= 0) return { type: "key.expired", notice: "expired" };
  const inside = thresholdsMs.filter((t) => left <= t);
  if (inside.length === 0) return undefined;
  const nearest = Math.min(...inside);
  return { type: "key.expiring", notice: `expiring:${nearest}`, daysLeft: Math.ceil(left / DAY_MS) };
}
