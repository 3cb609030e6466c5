import type { KeyRecord, KeyStatus } from "../keys/key-record.js";
import { keyEvent } from "../webhooks/key-events.js";
import { auditView, sharingCompanies } from "./audit-view.js";
import { insertKey } from "./create-key.js";
import type { AuditFields, WriteDeps } from "./write-deps.js";

/** A rotation to make. */
export interface RotateKeyOptions {
  keyId: string;
  /** How long the old key keeps working; zero revokes it at once. */
  graceMs: number;
  audit: AuditFields;
  /** Whether the caller may change this key; a key it may not is, to it, not there. */
  mayChange: (key: KeyRecord) => boolean;
}

/** How a rotation went. */
export type RotateOutcome =
  | { kind: "rotated"; key: KeyRecord; secret: string; previous: KeyRecord }
  | { kind: "not_found" }
  | { kind: "not_active"; status: KeyStatus }
  | { kind: "already_rotated"; rotatedTo: string };

/**
 * A new secret with the same settings; the old key keeps working for the grace period (never past its own
 * expiry). The two keys point at each other, and both changes are audited in one transaction.
 */
export function rotateKey(deps: WriteDeps, options: RotateKeyOptions): Promise<RotateOutcome> {
  const { keyId, graceMs, audit } = options;
  const now = new Date(deps.now());
  return deps.database.transaction(async (tx): Promise<RotateOutcome> => {
    const old = await tx.keys.findByIdForUpdate(keyId);
    if (!old || !options.mayChange(old)) return { kind: "not_found" };
    if (old.status !== "active") return { kind: "not_active", status: old.status };
    if (old.rotatedToKeyId) return { kind: "already_rotated", rotatedTo: old.rotatedToKeyId };
    const { key, secret } = await insertKey(tx, deps, old, now, old.id);
    const graceEnd = new Date(now.getTime() + graceMs);
    const previous = await tx.keys.update(
      old.id,
      graceMs === 0
        ? { rotatedToKeyId: key.id, status: "revoked", revokeTime: now, revokeReason: "rotated" }
        : {
            rotatedToKeyId: key.id,
            expireTime: old.expireTime && old.expireTime < graceEnd ? old.expireTime : graceEnd,
          },
      now,
    );
    const base = { ...audit, companyId: old.companyId, alsoCompanies: sharingCompanies(old) };
    await tx.audit.record({
      ...base,
      action: "key.create",
      keyId: key.id,
      reason: `rotated from ${old.id}`,
      after: auditView(key),
    });
    await tx.audit.record({
      ...base,
      action: "key.rotate",
      reason: `rotated to ${key.id}`,
      keyId: old.id,
      before: { status: old.status, expire_time: old.expireTime?.toISOString() ?? null },
      after: {
        status: previous.status,
        expire_time: previous.expireTime?.toISOString() ?? null,
        rotated_to_key_id: key.id,
      },
    });
    await tx.events.publish(keyEvent("key.rotated", previous, { new_key_id: key.id }), now);
    return { kind: "rotated", key, secret, previous };
  });
}
