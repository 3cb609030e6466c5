import { applyKeyChange } from "./change-key.js";
import type { AuditFields, WriteDeps } from "./write-deps.js";

/** Which keys to revoke, why, and on whose behalf. */
export interface RevokeAllOptions {
  /** The owning company; null for every company's keys. */
  companyId: string | null;
  reason: string;
  audit: AuditFields;
}

/**
 * Revokes every unrevoked key in scope in one transaction: each row locked, revoked and audited through the
 * same path as a single RevokeKey, so either all of them go or none. Commit evicts them from every cache.
 */
export function revokeAllKeys(deps: WriteDeps, options: RevokeAllOptions): Promise<number> {
  const now = new Date(deps.now());
  return deps.database.transaction(async (tx) => {
    const keys = await tx.keys.findUnrevokedForUpdate(options.companyId);
    for (const key of keys) {
      const patch = { status: "revoked" as const, revokeTime: now, revokeReason: options.reason };
      await applyKeyChange(tx, key, patch, now, {
        action: "key.revoke",
        audit: options.audit,
        reason: options.reason,
      });
    }
    return keys.length;
  });
}
