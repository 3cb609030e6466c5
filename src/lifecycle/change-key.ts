import type { KeyPatch, KeyRecord } from "../keys/key-record.js";
import type { Tx } from "../store/transaction.js";
import { eventTypeOfAction, keyEvent } from "../webhooks/key-events.js";
import { auditView, changedFields, sharingCompanies } from "./audit-view.js";
import type { AuditFields, WriteDeps } from "./write-deps.js";

/** A change's verdict on the key as it is now: the patch to apply, or why the key's state forbids it. */
export type KeyChange = (key: KeyRecord, now: Date) => KeyPatch | { refused: string };

/** A change to one existing key. */
export interface ChangeKeyOptions {
  keyId: string;
  /** The audit action, e.g. "key.suspend". */
  action: string;
  change: KeyChange;
  audit: AuditFields;
  reason?: string | null;
  /** Whether the caller may change this key; a key it may not is, to it, not there. */
  mayChange: (key: KeyRecord) => boolean;
  /** Other companies the change affects, whose admins see its audit event too. */
  alsoCompanies?: readonly string[];
}

/** How a change went. */
export type ChangeOutcome =
  | { kind: "changed"; key: KeyRecord }
  | { kind: "not_found" }
  | { kind: "refused"; message: string };

/**
 * The one path every change to an existing key takes: lock the row, check the caller may change it, apply
 * the change, and record the audit event with the fields before and after, all in one transaction.
 */
export function changeKey(deps: WriteDeps, options: ChangeKeyOptions): Promise<ChangeOutcome> {
  const now = new Date(deps.now());
  return deps.database.transaction(async (tx): Promise<ChangeOutcome> => {
    const before = await tx.keys.findByIdForUpdate(options.keyId);
    if (!before || !options.mayChange(before)) return { kind: "not_found" };
    const patch = options.change(before, now);
    if ("refused" in patch) return { kind: "refused", message: patch.refused };
    return { kind: "changed", key: await applyKeyChange(tx, before, patch, now, options) };
  });
}

/** Writes `patch` to the locked key `before` and records its audit event, inside the caller's transaction. */
export async function applyKeyChange(
  tx: Tx,
  before: KeyRecord,
  patch: KeyPatch,
  now: Date,
  options: Pick<ChangeKeyOptions, "action" | "audit" | "reason" | "alsoCompanies">,
): Promise<KeyRecord> {
  const after = await tx.keys.update(before.id, patch, now);
  const diff = changedFields(auditView(before), auditView(after));
  await tx.audit.record({
    ...options.audit,
    action: options.action,
    keyId: after.id,
    companyId: after.companyId,
    alsoCompanies: [...(options.alsoCompanies ?? []), ...sharingCompanies(after)],
    reason: options.reason ?? null,
    before: diff.before,
    after: diff.after,
  });
  const type = eventTypeOfAction(options.action);
  if (type) {
    const extra =
      type === "key.updated"
        ? { changed_fields: Object.keys(diff.after) }
        : { reason: options.reason ?? null };
    const event = keyEvent(type, after, extra);
    await tx.events.publish(
      { ...event, companyIds: [...event.companyIds, ...(options.alsoCompanies ?? [])] },
      now,
    );
  }
  return after;
}
