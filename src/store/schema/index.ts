import type { AuditEventsTable } from "./audit-events.js";
import type { ConsoleSessionsTable } from "./console-sessions.js";
import type { KeysTable } from "./keys.js";
import type { AuthEventsTable, KeyUsageEndpointsTable, KeyUsageTable } from "./usage.js";
import type { MembershipsTable, UsersTable } from "./users.js";

/** Every table Keyward owns. */
export interface DatabaseSchema {
  keys: KeysTable;
  audit_events: AuditEventsTable;
  key_usage: KeyUsageTable;
  key_usage_endpoints: KeyUsageEndpointsTable;
  auth_events: AuthEventsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  console_sessions: ConsoleSessionsTable;
}
