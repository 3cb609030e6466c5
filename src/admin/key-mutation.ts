import type { KeyRecord } from "../keys/key-record.js";
import { AuditRepository } from "../store/audit-repository.js";
import { KeyRepository } from "../store/key-repository.js";
import type { KeyRowUpdate } from "../store/schema/keys.js";
import type { AdminContext, Caller } from "./admin-context.js";
import { badField, keyNotFound } from "./errors.js";
import { auditView, changedFields } from "./key-resource.js";
import { canManage } from "./principal.js";

/** How a change applies to a key: the row patch, or an error when the key's state forbids it. */
export type KeyChange = (key: KeyRecord, now: Date) => KeyRowUpdate;

/**
 * The one path every change to an existing key takes: lock the row, check the caller may see it, apply the
 * change, and record the audit event with the fields before and after, all in one transaction.
 */
export async function mutateKey(
  ctx: AdminContext,
  caller: Caller,
  keyId: string,
  action: string,
  change: KeyChange,
  reason: string | null = null,
): Promise<KeyRecord> {
  requireKeyId(keyId);
  const now = new Date(ctx.now());
  const updated = await ctx.database.transaction(async (trx) => {
    const keys = new KeyRepository(trx);
    const before = await keys.findByIdForUpdate(keyId);
    if (!before || !canManage(caller.principal, before.companyId)) throw keyNotFound(keyId);
    const after = await keys.update(keyId, change(before, now), now);
    const diff = changedFields(auditView(before), auditView(after));
    await new AuditRepository(trx).record({
      ...caller.audit,
      action,
      keyId,
      companyId: after.companyId,
      reason,
      before: diff.before,
      after: diff.after,
    });
    return after;
  });
  ctx.keyChanged(keyId);
  return updated;
}

/** The key `keyId`, if the caller may see it; NOT_FOUND otherwise, whoever owns it. */
export async function visibleKey(ctx: AdminContext, caller: Caller, keyId: string): Promise<KeyRecord> {
  requireKeyId(keyId);
  const key = keyId.length <= 64 ? await ctx.keys.findById(keyId) : undefined;
  if (!key || !canManage(caller.principal, key.companyId)) throw keyNotFound(keyId);
  return key;
}

/** An empty key id is a malformed request, not a missing key. */
export function requireKeyId(keyId: string, field = "key_id"): void {
  if (!keyId) throw badField(field, "is required");
}
