import type { Database } from "../../src/store/database.js";

/** One key's audit for one outcome, summed over minutes, with the union of its source addresses (sorted). */
export interface AuthTotals {
  count: number;
  sourceIps: string[];
}

/** Everything the usage and auth-audit tables hold, summed over minutes so a minute boundary cannot matter. */
export interface TrafficTotals {
  /** By `"<key id> <company id>"`. */
  usage: Record<string, { requests: number; denied: number }>;
  /** By `"<key id> <method> <path>"`. */
  endpoints: Record<string, number>;
  /** Known keys, by `"<key id> <company id> <outcome>"`. */
  byKey: Record<string, AuthTotals>;
  /** Failures without a known key, by `"<source ip> <outcome>"`. */
  bySourceIp: Record<string, number>;
  /** keys.last_used_time by key id, for keys that have one. */
  lastUsed: Record<string, Date>;
}

/** Reads the usage and auth-audit tables of `db` (any schema, either engine). */
export async function readTraffic(db: Database): Promise<TrafficTotals> {
  const totals: TrafficTotals = { usage: {}, endpoints: {}, byKey: {}, bySourceIp: {}, lastUsed: {} };
  for (const r of await db.db.selectFrom("key_usage").selectAll().execute()) {
    const name = `${r.key_id} ${r.company_id}`;
    const slot = totals.usage[name] ?? { requests: 0, denied: 0 };
    slot.requests += Number(r.request_count);
    slot.denied += Number(r.denied_count);
    totals.usage[name] = slot;
  }
  for (const r of await db.db.selectFrom("key_usage_endpoints").selectAll().execute()) {
    const name = `${r.key_id} ${r.method} ${r.path}`;
    totals.endpoints[name] = (totals.endpoints[name] ?? 0) + Number(r.request_count);
  }
  for (const r of await db.db.selectFrom("auth_events").selectAll().execute()) {
    if (r.key_id === "") {
      const name = `${r.source_ip} ${r.outcome}`;
      totals.bySourceIp[name] = (totals.bySourceIp[name] ?? 0) + Number(r.count);
      continue;
    }
    const name = `${r.key_id} ${r.company_id} ${r.outcome}`;
    const slot = totals.byKey[name] ?? { count: 0, sourceIps: [] };
    slot.count += Number(r.count);
    slot.sourceIps = [...new Set([...slot.sourceIps, ...r.source_ips])].sort();
    totals.byKey[name] = slot;
  }
  const used = await db.db
    .selectFrom("keys")
    .select(["id", "last_used_time"])
    .where("last_used_time", "is not", null)
    .execute();
  for (const r of used) if (r.last_used_time) totals.lastUsed[r.id] = r.last_used_time;
  return totals;
}
