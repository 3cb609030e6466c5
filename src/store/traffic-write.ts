import { CompiledQuery } from "kysely";
import type { TrafficBatch } from "../usage/traffic-batch.js";

/**
 * A whole traffic batch as one statement: every table's rows travel as one JSON parameter, and the SQL text
 * never changes, so a flush is one round trip with nothing to build or compile but the parameter. A single
 * statement is atomic on its own: all of the batch lands, or none of it. The flush runs every second on the
 * thread that answers Checks, and Checks arriving while that thread works on it wait (docs/design.md,
 * "Storage and replicas", has the figures).
 *
 * Each upsert adds to the row a bucket lands on. A batch holds one bucket per row (its maps are keyed by
 * exactly the columns of each conflict target), as one INSERT … ON CONFLICT DO UPDATE requires.
 */
const WRITE_BATCH = `
with usage as (
  insert into key_usage (key_id, company_id, minute, request_count, denied_count)
  select key_id, company_id, minute, request_count, denied_count
  from jsonb_to_recordset($1::jsonb -> 'usage')
    as r(key_id text, company_id text, minute timestamptz, request_count bigint, denied_count bigint)
  on conflict (key_id, minute, company_id) do update set
    request_count = key_usage.request_count + excluded.request_count,
    denied_count = key_usage.denied_count + excluded.denied_count
), endpoints as (
  insert into key_usage_endpoints (key_id, minute, method, path, request_count)
  select key_id, minute, method, path, request_count
  from jsonb_to_recordset($1::jsonb -> 'endpoints')
    as r(key_id text, minute timestamptz, method text, path text, request_count bigint)
  on conflict (key_id, minute, method, path) do update set
    request_count = key_usage_endpoints.request_count + excluded.request_count
), auth as (
  insert into auth_events (minute, key_id, company_id, source_ip, outcome, count, source_ips)
  select minute, key_id, company_id, source_ip, outcome, count, source_ips
  from jsonb_to_recordset($1::jsonb -> 'auth')
    as r(minute timestamptz, key_id text, company_id text, source_ip text, outcome text, count bigint,
         source_ips text[])
  on conflict (minute, key_id, company_id, source_ip, outcome) do update set
    count = auth_events.count + excluded.count,
    -- The union as a set, capped at 64, keeping the addresses seen first: distinct before limit.
    source_ips = (select coalesce(array_agg(ip order by seen), '{}') from (
      select ip, min(n) as seen
      from unnest(auth_events.source_ips || excluded.source_ips) with ordinality as u(ip, n)
      group by ip order by seen limit 64) s)
), last_used as (
  update keys set last_used_time = r.used
  from jsonb_to_recordset($1::jsonb -> 'lastUsed') as r(id text, used timestamptz)
  where keys.id = r.id and (keys.last_used_time is null or keys.last_used_time < r.used)
)
select 1`;

const iso = (ms: number) => new Date(ms).toISOString();

/** The statement that adds `batch` to the stored counters. */
export function writeBatchQuery(batch: TrafficBatch): CompiledQuery {
  const rows = {
    usage: Array.from(batch.usage.values(), (u) => ({
      key_id: u.keyId,
      company_id: u.companyId,
      minute: iso(u.minute),
      request_count: u.requests,
      denied_count: u.denied,
    })),
    endpoints: Array.from(batch.endpoints.values(), (e) => ({
      key_id: e.keyId,
      minute: iso(e.minute),
      method: e.method,
      path: e.path,
      request_count: e.requests,
    })),
    auth: Array.from(batch.auth.values(), (a) => ({
      minute: iso(a.minute),
      key_id: a.keyId,
      company_id: a.companyId,
      source_ip: a.sourceIp,
      outcome: a.outcome,
      count: a.count,
      source_ips: [...a.sourceIps],
    })),
    lastUsed: Array.from(batch.lastUsed, ([id, used]) => ({ id, used: iso(used) })),
  };
  return CompiledQuery.raw(WRITE_BATCH, [JSON.stringify(rows)]);
}
