import type { AuditEventsTable } from "./audit-events.js";
import type { ConsoleSessionsTable } from "./console-sessions.js";
import type { KeysTable } from "./keys.js";
import type { AuthEventsTable, KeyUsageEndpointsTable, KeyUsageTable } from "./usage.js";
import type { MembershipsTable, UsersTable } from "./users.js";
import type {
  KeyAlertsTable,
  KeyNoticesTable,
  KeySourceIpsTable,
  WebhookDeliveriesTable,
  WebhookEventsTable,
  WebhooksTable,
} from "./webhooks.js";

/** Every table Keyward owns. */
export interface DatabaseSchema {
  keys: KeysTable;
  audit_events: AuditEventsTable;
  key_usage: KeyUsageTable;
  key_usage_endpoints: KeyUsageEndpointsTable;
  auth_events: AuthEventsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  webhooks: WebhooksTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  key_notices: KeyNoticesTable;
  key_alerts: KeyAlertsTable;
  key_source_ips: KeySourceIpsTable;
  console_sessions: ConsoleSessionsTable;
}
