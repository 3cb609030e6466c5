import type { KeyRecord } from "../keys/key-record.js";
import { AuditRepository } from "../store/audit-repository.js";
import { KeyRepository } from "../store/key-repository.js";
import type { KeyRowUpdate } from "../store/schema/keys.js";
import type { AdminContext, Caller } from "./admin-context.js";
import { badField, keyNotFound } from "./errors.js";
import { auditView, changedFields } from "./key-resource.js";
import { canManage, type Principal } from "./principal.js";

/** How a change applies to a key: the row patch, or an error when the key's state forbids it. */
export type KeyChange = (key: KeyRecord, now: Date) => KeyRowUpdate;

/** Variations on the usual rule that only the owning company's admins change a key. */
export interface MutationOptions {
  /** Who may make this change; default: admins of the key's own company (and platform admins). */
  authorize?: (key: KeyRecord) => boolean;
  /** Other companies the change affects, whose admins see its audit event too. */
  alsoCompanies?: readonly string[];
}

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
  options: MutationOptions = {},
): Promise<KeyRecord> {
  requireKeyId(keyId);
  const now = new Date(ctx.now());
  const updated = await ctx.database.transaction(async (trx) => {
    const keys = new KeyRepository(trx);
    const before = await keys.findByIdForUpdate(keyId);
    const allowed = options.authorize ?? ((key: KeyRecord) => canManage(caller.principal, key.companyId));
    if (!before || !allowed(before)) throw keyNotFound(keyId);
    const after = await keys.update(keyId, change(before, now), now);
    const diff = changedFields(auditView(before), auditView(after));
    await new AuditRepository(trx).record({
      ...caller.audit,
      action,
      keyId,
      companyId: after.companyId,
      // An integration key's companies are affected by whatever happens to it, and see it in their audit log.
      alsoCompanies: [
        ...(options.alsoCompanies ?? []),
        ...(after.kind === "integration" ? after.companyIds : []),
      ],
      reason,
      before: diff.before,
      after: diff.after,
    });
    return after;
  });
  ctx.keyChanged(keyId);
  return updated;
}

/**
 * The key `keyId`, if the caller may see it; NOT_FOUND otherwise, whoever owns it. Besides its own company's
 * keys, a company admin may read (never change) the keys that can act for its company: integration keys
 * listing it, and the tokens of its members.
 */
export async function visibleKey(ctx: AdminContext, caller: Caller, keyId: string): Promise<KeyRecord> {
  requireKeyId(keyId);
  const key = keyId.length <= 64 ? await ctx.keys.findById(keyId) : undefined;
  if (!key || !(await maySee(ctx, caller.principal, key))) throw keyNotFound(keyId);
  return key;
}

async function maySee(ctx: AdminContext, principal: Principal, key: KeyRecord): Promise<boolean> {
  if (canManage(principal, key.companyId)) return true;
  if (principal.kind !== "key") return false;
  if (key.kind === "integration") return key.companyIds.includes(principal.companyId);
  if (key.kind === "user" && key.userId) return ctx.users.isMember(key.userId, principal.companyId);
  return false;
}

/** An empty key id is a malformed request, not a missing key. */
export function requireKeyId(keyId: string, field = "key_id"): void {
  if (!keyId) throw badField(field, "is required");
}
