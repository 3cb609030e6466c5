import type { AppContext } from "../context.js";
import type { KeyRecord } from "../keys/key-record.js";
import type { Caller } from "./caller.js";
import { badField, keyNotFound } from "./errors.js";
import { canManage, type Principal } from "./principal.js";

/**
 * The key `keyId`, if the caller may see it; NOT_FOUND otherwise, whoever owns it. Besides its own company's
 * keys, a company admin may read (never change) the keys that can act for its company: integration keys
 * listing it, and the tokens of its members.
 */
export async function visibleKey(ctx: AppContext, caller: Caller, keyId: string): Promise<KeyRecord> {
  requireKeyId(keyId);
  const key = keyId.length <= 64 ? await ctx.keys.findById(keyId) : undefined;
  if (!key || !(await maySee(ctx, caller.principal, key))) throw keyNotFound(keyId);
  return key;
}

async function maySee(ctx: AppContext, principal: Principal, key: KeyRecord): Promise<boolean> {
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
