import { sql } from "kysely";
import type { TrafficBatch, TrafficSink } from "../usage/traffic-batch.js";
import type { Database } from "./database.js";
import { writeBatchQuery } from "./traffic-write.js";

/** Per-key usage over a time window. */
export interface UsageSummary {
  requests: number;
  denied: number;
  byCompany: { companyId: string; requests: number; denied: number }[];
  topEndpoints: { method: string; path: string; requests: number }[];
}

/** Authentication outcomes of one minute: of a known key, or (unknown keys) from one source IP. */
export interface AuthEventRecord {
  id: string;
  minute: Date;
  keyId: string;
  companyId: string;
  sourceIp: string;
  outcome: string;
  count: number;
  sourceIps: string[];
}

/** Writes batched usage and authentication audit, and reads them back. */
export class TrafficRepository implements TrafficSink {
  constructor(private readonly database: Database) {}

  /** Adds a batch to the stored counters in one statement: all of it lands, or none of it. */
  async write(batch: TrafficBatch): Promise<void> {
    await this.database.db.executeQuery(writeBatchQuery(batch));
  }

  /** Whether the database answers at all: tells a refused batch from an outage. */
  async reachable(): Promise<boolean> {
    try {
      await this.database.ping();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Usage of `keyId` in [start, end): totals, per acting company, and the busiest endpoints. With `companyId`,
   * only what that company was charged (endpoints are not recorded per company, so none are returned).
   */
  async usage(keyId: string, start: Date, end: Date, companyId?: string, topN = 10): Promise<UsageSummary> {
    const db = this.database.db;
    const byCompany = await db
      .selectFrom("key_usage")
      .select([
        "company_id",
        sql<string>`sum(request_count)`.as("requests"),
        sql<string>`sum(denied_count)`.as("denied"),
      ])
      .where("key_id", "=", keyId)
      .where("minute", ">=", floorMinute(start))
      .where("minute", "<", end)
      .$if(companyId !== undefined, (q) => q.where("company_id", "=", companyId as string))
      .groupBy("company_id")
      .orderBy("company_id")
      .execute();
    const top = await db
      .selectFrom("key_usage_endpoints")
      .select(["method", "path", sql<string>`sum(request_count)`.as("requests")])
      .where("key_id", "=", keyId)
      .where("minute", ">=", floorMinute(start))
      .where("minute", "<", end)
      .groupBy(["method", "path"])
      .orderBy(sql`sum(request_count)`, "desc")
      .orderBy("path")
      .limit(companyId === undefined ? topN : 0)
      .execute();
    const companies = byCompany.map((r) => ({
      companyId: r.company_id,
      requests: Number(r.requests),
      denied: Number(r.denied),
    }));
    return {
      requests: companies.reduce((n, c) => n + c.requests, 0),
      denied: companies.reduce((n, c) => n + c.denied, 0),
      byCompany: companies,
      topEndpoints: top.map((r) => ({ method: r.method, path: r.path, requests: Number(r.requests) })),
    };
  }

  /** Authentication events, newest first, by key, company or source IP, after the id `beforeId`. */
  async authEvents(filter: {
    keyId?: string | undefined;
    companyId?: string | undefined;
    sourceIp?: string | undefined;
    outcome?: string | undefined;
    since?: Date | undefined;
    until?: Date | undefined;
    beforeId?: string | undefined;
    limit: number;
  }): Promise<AuthEventRecord[]> {
    let q = this.database.db.selectFrom("auth_events").selectAll();
    if (filter.keyId) q = q.where("key_id", "=", filter.keyId);
    if (filter.companyId) q = q.where("company_id", "=", filter.companyId);
    if (filter.sourceIp) q = q.where("source_ip", "=", filter.sourceIp);
    if (filter.outcome) q = q.where("outcome", "=", filter.outcome);
    if (filter.since) q = q.where("minute", ">=", floorMinute(filter.since));
    if (filter.until) q = q.where("minute", "<", filter.until);
    if (filter.beforeId) q = q.where("id", "<", filter.beforeId as never);
    const rows = await q.orderBy("id", "desc").limit(filter.limit).execute();
    return rows.map((r) => ({
      id: String(r.id),
      minute: r.minute,
      keyId: r.key_id,
      companyId: r.company_id,
      sourceIp: r.source_ip,
      outcome: r.outcome,
      count: Number(r.count),
      sourceIps: r.source_ips,
    }));
  }
}

function floorMinute(d: Date): Date {
  return new Date(d.getTime() - (d.getTime() % 60_000));
}
