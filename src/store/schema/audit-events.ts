import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

/** The `audit_events` table: one row per change, written in the same transaction as the change. */
export interface AuditEventsTable {
  id: Generated<string>;
  time: ColumnType<Date, Date | undefined, never>;
  actor: string;
  action: string;
  key_id: string | null;
  /** The company the event is primarily about (the key's own). */
  company_id: string;
  /** Every company that may read the event: the key's own plus any others the change affects. */
  company_ids: string[];
  /** The user a membership or user event is about. */
  user_id: Generated<string | null>;
  reason: string | null;
  request_id: string | null;
  source_ip: string | null;
  before: ColumnType<Record<string, unknown> | null, string | null, never>;
  after: ColumnType<Record<string, unknown> | null, string | null, never>;
}

export type AuditEventRow = Selectable<AuditEventsTable>;
export type NewAuditEventRow = Insertable<AuditEventsTable>;
