const UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  mo: 30 * 86_400_000,
  y: 365 * 86_400_000,
};

/** The longest lifetime a flag may ask for: far enough for "never expires in practice", near enough to store. */
export const MAX_DURATION_MS = 100 * 365 * 86_400_000;

/**
 * Parses `30s`, `15m`, `24h`, `7d`, `2w`, `3mo`, `1y` into milliseconds; undefined when malformed, zero or
 * longer than 100 years (a timestamp past year 9999 cannot be stored).
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,6})(s|m|h|d|w|mo|y)$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number);
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** Parses `5s,5m,…` (and `250ms`, for tests) into milliseconds; undefined when any part is malformed. */
export function parseDurationList(text: string): number[] | undefined {
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const out: number[] = [];
  for (const part of parts) {
    const ms = /^(\d{1,6})ms$/.exec(part) ? Number(part.slice(0, -2)) : parseDuration(part);
    if (!ms) return undefined;
    out.push(ms);
  }
  return out.length > 0 ? out : undefined;
}
