/** Check outcomes Keyward counted, read from its Prometheus endpoint. */
export type Outcomes = Record<string, number>;

/** Reads `keyward_checks_total` of one protocol (grpc: Check, http: forward auth) by outcome from /metrics. */
export async function checkOutcomes(
  adminPort: number,
  protocol: "grpc" | "http" = "grpc",
): Promise<Outcomes> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  const outcomes: Outcomes = {};
  for (const m of (await res.text()).matchAll(
    /^keyward_checks_total\{outcome="([^"]+)",protocol="(\w+)"\} (\d+)/gm,
  )) {
    if (m[2] === protocol) outcomes[m[1] as string] = Number(m[3]);
  }
  return outcomes;
}

/** What changed between two readings, zero entries left out. */
export function outcomeDelta(before: Outcomes, after: Outcomes): Outcomes {
  const delta: Outcomes = {};
  for (const [outcome, n] of Object.entries(after)) {
    const d = n - (before[outcome] ?? 0);
    if (d !== 0) delta[outcome] = d;
  }
  return delta;
}

/** `keyward_key_lookups_total` by how each credential was resolved (malformed, hit, negative_hit, query). */
export async function keyLookups(adminPort: number): Promise<Outcomes> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  const lookups: Outcomes = {};
  for (const m of (await res.text()).matchAll(/^keyward_key_lookups_total\{event="([^"]+)"\} (\d+)/gm)) {
    lookups[m[1] as string] = Number(m[2]);
  }
  return lookups;
}
