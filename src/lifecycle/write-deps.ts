import type { KeyHasher } from "../keys/hasher.js";
import type { AuditEntry } from "../store/audit-repository.js";
import type { Database } from "../store/database.js";

/** What a change to keys, users or memberships needs: the store, the hasher for new secrets, the clock. */
export interface WriteDeps {
  database: Database;
  hasher: KeyHasher;
  keyPrefix: string;
  now: () => number;
}

/** Who made a change and from where, as its audit event records it. */
export type AuditFields = Pick<AuditEntry, "actor" | "requestId" | "sourceIp">;
