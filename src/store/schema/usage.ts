import type { ColumnType } from "kysely";

type Count = ColumnType<string, number, number>;

/** `key_usage`: allowed and denied requests per key, acting company and minute. */
export interface KeyUsageTable {
  key_id: string;
  company_id: string;
  minute: Date;
  request_count: Count;
  denied_count: Count;
}

/** `key_usage_endpoints`: allowed requests per key, endpoint (method and path, no query) and minute. */
export interface KeyUsageEndpointsTable {
  key_id: string;
  minute: Date;
  method: string;
  path: string;
  request_count: Count;
}

/** `auth_events`: authentication outcomes aggregated per minute, per key or (unknown keys) per source IP. */
export interface AuthEventsTable {
  id: ColumnType<string, never, never>;
  minute: Date;
  key_id: string;
  company_id: string;
  source_ip: string;
  outcome: string;
  count: Count;
  source_ips: string[];
}
