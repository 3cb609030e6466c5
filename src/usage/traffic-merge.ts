import type { TrafficBatch } from "./traffic-batch.js";

/** Distinct endpoints kept per key per minute; the rest count as "(other)" so odd paths cannot blow memory. */
export const MAX_ENDPOINTS_PER_KEY = 64;
/** The endpoint bucket of a key's requests beyond MAX_ENDPOINTS_PER_KEY. */
export const OTHER = "(other)";
/** Source IPs remembered per key per minute. */
export const MAX_IPS_PER_BUCKET = 64;

/** The key of an endpoint bucket: exactly what its row is keyed by. */
export function endpointKey(keyId: string, minute: number, method: string, path: string): string {
  return `${keyId}\u0000${minute}\u0000${method}\u0000${path}`;
}

/** The key the per-key endpoint cap is counted under. */
export function perKeyMinute(keyId: string, minute: number): string {
  return `${keyId}\u0000${minute}`;
}

/**
 * Folds `current` (what arrived after a flush began) into `failed` (the batch that flush could not write),
 * so nothing counted is lost: counts add up, source IPs unite up to their cap, last uses keep the newest.
 * The endpoint cap holds for the merged batch too: endpoints past it fold into "(other)". Returns the
 * per-key endpoint counts of the merged batch.
 */
export function mergeBatches(failed: TrafficBatch, current: TrafficBatch): Map<string, number> {
  for (const [k, v] of current.usage) {
    const u = failed.usage.get(k);
    if (u) {
      u.requests += v.requests;
      u.denied += v.denied;
    } else failed.usage.set(k, v);
  }
  const counts = new Map<string, number>();
  const count = (keyId: string, minute: number) => {
    const perKey = perKeyMinute(keyId, minute);
    counts.set(perKey, (counts.get(perKey) ?? 0) + 1);
  };
  for (const e of failed.endpoints.values()) if (e.path !== OTHER) count(e.keyId, e.minute);
  for (const [k, v] of current.endpoints) {
    const e = failed.endpoints.get(k);
    if (e) {
      e.requests += v.requests;
      continue;
    }
    if (v.path === OTHER || (counts.get(perKeyMinute(v.keyId, v.minute)) ?? 0) < MAX_ENDPOINTS_PER_KEY) {
      failed.endpoints.set(k, v);
      if (v.path !== OTHER) count(v.keyId, v.minute);
      continue;
    }
    const otherKey = endpointKey(v.keyId, v.minute, v.method, OTHER);
    const other = failed.endpoints.get(otherKey);
    if (other) other.requests += v.requests;
    else failed.endpoints.set(otherKey, { ...v, path: OTHER });
  }
  for (const [k, v] of current.auth) {
    const a = failed.auth.get(k);
    if (a) {
      a.count += v.count;
      for (const ip of v.sourceIps) if (a.sourceIps.size < MAX_IPS_PER_BUCKET) a.sourceIps.add(ip);
    } else failed.auth.set(k, v);
  }
  for (const [k, t] of current.lastUsed) if ((failed.lastUsed.get(k) ?? 0) < t) failed.lastUsed.set(k, t);
  return counts;
}
