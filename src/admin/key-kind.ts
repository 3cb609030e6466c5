import type { AppContext } from "../context.js";
import type { KeyKind, KeyRecord } from "../keys/key-record.js";
import type { KeySpec } from "../keys/mint.js";
import { RESERVED_SCOPES } from "../keys/scopes.js";
import { checkCompanyIds, type Violations } from "../keys/validation.js";
import { permissionDenied } from "./errors.js";
import { canManage, isPlatform, type Principal } from "./principal.js";

const KINDS: readonly KeyKind[] = ["standard", "integration", "user"];

/** What a CreateKey request says about the kind of credential. */
export interface KindInput {
  kind: string;
  companyIds: readonly string[];
  userId: string;
  /** Whether the request named company_id itself. */
  companyNamed: boolean;
}

/**
 * Completes `spec` for the kind asked for. Integration keys are a platform admin's to make. A user token
 * belongs to the user's default company, so the admins of that company (or platform admins) make it. Admin
 * scopes stay on standard keys: a credential that acts for many companies must not administer any of them.
 */
export async function applyKind(
  ctx: AppContext,
  input: KindInput,
  spec: KeySpec,
  principal: Principal,
  v: Violations,
): Promise<void> {
  const kind = (input.kind || "standard") as KeyKind;
  if (!KINDS.includes(kind)) {
    v.add("kind", 'must be "standard", "integration" or "user"');
    return;
  }
  spec.kind = kind;
  if (kind !== "integration" && input.companyIds.length > 0)
    v.add("company_ids", "is only for integration keys");
  if (kind !== "user" && input.userId) v.add("user_id", "is only for user tokens");
  if (kind !== "standard" && spec.scopes.some((s) => RESERVED_SCOPES.has(s))) {
    v.add("scopes", "keys:admin and platform:admin are only for standard keys");
  }
  if (kind === "integration") {
    if (!isPlatform(principal)) throw permissionDenied("only a platform admin can create integration keys");
    checkCompanyIds(v, "company_ids", input.companyIds);
    spec.companyIds = [...input.companyIds];
  }
  if (kind === "user") {
    if (!input.userId) {
      v.add("user_id", "is required for a user token");
      return;
    }
    const user = input.userId.length <= 128 ? await ctx.users.find(input.userId) : undefined;
    // Another company's user is answered as no user at all: the answer must not name its default company.
    if (!user || !canManage(principal, user.defaultCompanyId)) {
      v.add("user_id", "names no user");
      return;
    }
    if (input.companyNamed && spec.companyId !== user.defaultCompanyId) {
      v.add("company_id", "a user token belongs to its user's default company; leave company_id empty");
    }
    spec.companyId = user.defaultCompanyId;
    spec.userId = user.id;
  }
}

/** What the platform grants an integration key: only platform admins change these, or rotate it. */
export const PLATFORM_GRANTED = ["scopes", "ip_allowlist", "expire_time", "rate_limit"] as const;

/**
 * Refuses a change that would widen an integration key beyond what a platform admin granted: its owner's
 * admins may rename, tag, suspend or revoke it, but its scopes, allowlist, expiry and rate limit (and a new
 * secret, which resets the grace of the old one) are the platform's. `changes` are update-mask paths, or
 * "rotate".
 */
export function checkPlatformGrant(
  principal: Principal,
  key: Pick<KeyRecord, "kind">,
  changes: readonly string[] | "rotate",
): void {
  if (key.kind !== "integration" || isPlatform(principal)) return;
  if (changes === "rotate") throw permissionDenied("only a platform admin rotates an integration key");
  const granted = changes.filter((c) => (PLATFORM_GRANTED as readonly string[]).includes(c));
  if (granted.length > 0) {
    throw permissionDenied(`only a platform admin changes an integration key's ${granted.join(", ")}`);
  }
}
