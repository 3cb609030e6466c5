import { LOOKUP_EVENTS as EVENTS, type LookupEvent } from "../../src/metrics.js";

/** How a server resolved credentials so far, by `keyward_key_lookups_total` event ("query" counts database lookups). */
export type KeyLookups = Record<LookupEvent, number>;

/**
 * Reads the lookup counters from the admin listener's /metrics: the Check path's, or with
 * `keyward_admin_key_lookups_total` the admin API's.
 */
export async function keyLookups(
  adminUrl: string,
  metric = "keyward_key_lookups_total",
): Promise<KeyLookups> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const read = (event: string) =>
    Number(text.match(new RegExp(`^${metric}\\{event="${event}"\\} (\\d+)`, "m"))?.[1] ?? 0);
  return Object.fromEntries(EVENTS.map((e) => [e, read(e)])) as KeyLookups;
}

/** What changed between two readings. */
export function lookupDelta(before: KeyLookups, after: KeyLookups): KeyLookups {
  return Object.fromEntries(EVENTS.map((e) => [e, after[e] - before[e]])) as KeyLookups;
}
