import { sql } from "kysely";
import type { Executor } from "./executor.js";
import type { AuditEventRow } from "./schema/audit-events.js";

/** A recorded audit event, as the audit log holds it. */
export interface AuditEventRecord {
  id: string;
  time: Date;
  actor: string;
  action: string;
  keyId: string | null;
  companyId: string;
  companyIds: string[];
  userId: string | null;
  reason: string | null;
  requestId: string | null;
  sourceIp: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** An audit event to record. */
export interface AuditEntry {
  actor: string;
  action: string;
  keyId: string | null;
  companyId: string;
  /** Other companies that may read the event besides `companyId`. */
  alsoCompanies?: readonly string[];
  reason?: string | null;
  /** The user a membership or user event is about. */
  userId?: string | null;
  requestId?: string | null;
  sourceIp?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** Writes and reads the audit log. Writes go through the caller's transaction, beside the change. */
export class AuditRepository {
  constructor(private readonly db: Executor) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db
      .insertInto("audit_events")
      .values({
        actor: entry.actor,
        action: entry.action,
        key_id: entry.keyId,
        company_id: entry.companyId,
        company_ids: [...new Set([entry.companyId, ...(entry.alsoCompanies ?? [])])],
        reason: entry.reason ?? null,
        user_id: entry.userId ?? null,
        request_id: entry.requestId ?? null,
        source_ip: entry.sourceIp ?? null,
        before: entry.before ? JSON.stringify(entry.before) : null,
        after: entry.after ? JSON.stringify(entry.after) : null,
      })
      .execute();
  }

  /** Events newest first, for one key and/or company, after `cursor` (an event id). */
  async list(filter: {
    keyId?: string | undefined;
    companyId?: string | undefined;
    action?: string | undefined;
    since?: Date | undefined;
    until?: Date | undefined;
    beforeId?: string | undefined;
    limit: number;
  }): Promise<AuditEventRecord[]> {
    let q = this.db.selectFrom("audit_events").selectAll();
    if (filter.keyId) q = q.where("key_id", "=", filter.keyId);
    if (filter.companyId) q = q.where("company_ids", "@>", sql<string[]>`array[${filter.companyId}]::text[]`);
    if (filter.action) q = q.where("action", "=", filter.action);
    if (filter.since) q = q.where("time", ">=", filter.since);
    if (filter.until) q = q.where("time", "<", filter.until);
    if (filter.beforeId) q = q.where("id", "<", filter.beforeId);
    const rows = await q.orderBy("id", "desc").limit(filter.limit).execute();
    return rows.map(toRecord);
  }
}

function toRecord(r: AuditEventRow): AuditEventRecord {
  return {
    id: String(r.id),
    time: r.time,
    actor: r.actor,
    action: r.action,
    keyId: r.key_id,
    companyId: r.company_id,
    companyIds: r.company_ids,
    userId: r.user_id,
    reason: r.reason,
    requestId: r.request_id,
    sourceIp: r.source_ip,
    before: r.before,
    after: r.after,
  };
}
