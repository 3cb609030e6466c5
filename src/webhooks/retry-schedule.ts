/** What follows a failed attempt: another one at `at`, or none (the delivery has failed). */
export type RetryPlan = { retry: true; at: number } | { retry: false };

/**
 * When to try again after attempt number `attempt` (1-based) failed. The wait is the schedule's entry,
 * jittered by ±20% so endpoints that failed together do not come back together; a `retry-after` from the
 * receiver is honoured when it asks for longer.
 */
export function nextAttempt(
  attempt: number,
  schedule: readonly number[],
  now: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): RetryPlan {
  const base = schedule[attempt - 1];
  if (base === undefined) return { retry: false };
  const jittered = Math.round(base * (0.8 + 0.4 * random()));
  return { retry: true, at: now + Math.max(jittered, retryAfterMs ?? 0) };
}

/** A `retry-after` header (seconds or an HTTP date) in milliseconds from `now`, capped at a day. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.min(seconds, 86_400_000);
}
