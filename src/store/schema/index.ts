import type { AuditEventsTable } from "./audit-events.js";
import type { KeysTable } from "./keys.js";

/** Every table Keyward owns. */
export interface DatabaseSchema {
  keys: KeysTable;
  audit_events: AuditEventsTable;
}
