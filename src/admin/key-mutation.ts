import type { AppContext } from "../context.js";
import type { KeyRecord } from "../keys/key-record.js";
import { changeKey, type KeyChange } from "../lifecycle/change-key.js";
import type { Caller } from "./caller.js";
import { failedPrecondition, keyNotFound } from "./errors.js";
import { canManage } from "./principal.js";
import { requireKeyId } from "./visible-key.js";

/** One admin change to an existing key. */
export interface MutationOptions {
  keyId: string;
  /** The audit action, e.g. "key.suspend". */
  action: string;
  change: KeyChange;
  reason?: string | null;
  /** Who may make this change; default: admins of the key's own company (and platform admins). */
  authorize?: (key: KeyRecord) => boolean;
  /** Other companies the change affects, whose admins see its audit event too. */
  alsoCompanies?: readonly string[];
}

/**
 * A change to an existing key through the one write path, on behalf of `caller`: NOT_FOUND for a key it may
 * not change, FAILED_PRECONDITION when the key's state forbids the change.
 */
export async function mutateKey(
  ctx: AppContext,
  caller: Caller,
  options: MutationOptions,
): Promise<KeyRecord> {
  requireKeyId(options.keyId);
  const outcome = await changeKey(ctx, {
    ...options,
    audit: caller.audit,
    mayChange: options.authorize ?? ((key) => canManage(caller.principal, key.companyId)),
  });
  if (outcome.kind === "not_found") throw keyNotFound(options.keyId);
  if (outcome.kind === "refused") throw failedPrecondition(outcome.message);
  return outcome.key;
}
