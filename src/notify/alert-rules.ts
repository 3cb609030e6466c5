/** The window alerts judge traffic over. */
export const ALERT_WINDOW_MS = 5 * 60_000;
/** Once an alert fired for a key and cause, the same one is quiet for this long. */
export const ALERT_QUIET_MS = 3_600_000;
/** An address unused for this long is new again. */
export const SOURCE_MEMORY_MS = 30 * 86_400_000;
/** How many 5-minute windows the usual rate is averaged over (a day). */
const USUAL_WINDOWS = (24 * 3_600_000) / ALERT_WINDOW_MS;

/**
 * Whether `current` requests in the last window are a spike against the previous day's `priorDay`: at least
 * `minimum`, and at least `factor` times the average window of that day.
 */
export function isUsageSpike(current: number, priorDay: number, factor: number, minimum: number): boolean {
  return current >= minimum && current >= factor * (priorDay / USUAL_WINDOWS);
}

/** A key seen from an address. */
export interface SourceSighting {
  keyId: string;
  ip: string;
}

/** An address a key is known to have used, and when last. */
export interface KnownSource extends SourceSighting {
  lastTime: number;
}

/**
 * The sightings that raise `alert.new_source_ip`: an address the key has not used in 30 days, while it has
 * used another one within them. A key's first address is its baseline, not an alert.
 */
export function newSourceAlerts(
  sightings: readonly SourceSighting[],
  known: readonly KnownSource[],
  now: number,
): SourceSighting[] {
  const fresh = new Map<string, Set<string>>();
  for (const k of known) {
    if (now - k.lastTime > SOURCE_MEMORY_MS) continue;
    const ips = fresh.get(k.keyId) ?? new Set<string>();
    ips.add(k.ip);
    fresh.set(k.keyId, ips);
  }
  const seen = new Set<string>();
  return sightings.filter((s) => {
    const id = `${s.keyId}\u0000${s.ip}`;
    if (seen.has(id)) return false;
    seen.add(id);
    const ips = fresh.get(s.keyId);
    return ips !== undefined && ips.size > 0 && !ips.has(s.ip);
  });
}
