import { cidrContains } from "./cidr.js";
import { type Decision, deny } from "./decision.js";
import type { RequestFacts } from "./request-facts.js";
import { missingScopes } from "./scopes.js";
import type { VerifiedKey } from "./verified-key.js";

/**
 * The whole authorization decision, with no I/O: the request as read, the key it presented (undefined when
 * no stored key matches), and the time. Checks run from "who are you" to "may you do this", so a caller
 * learns nothing about a route's requirements before proving a valid key.
 */
export function decide(facts: RequestFacts, key: VerifiedKey | undefined, now: number): Decision {
  if (facts.problem) {
    return deny(facts.problem.code, facts.problem.message ? { message: facts.problem.message } : {});
  }
  if (!key) return deny("invalid_key");
  if (key.status === "revoked") return deny("revoked_key");
  if (key.status === "suspended") return deny("suspended_key");
  if (key.expireAt !== null && key.expireAt <= now) return deny("expired_key");

  if (key.ipRestricted) {
    const ip = facts.sourceIp;
    if (!ip || !key.ipAllowlist.some((cidr) => cidrContains(cidr, ip))) return deny("ip_not_allowed");
  }
  if (facts.route.environment && facts.route.environment !== key.environment) {
    return deny("environment_mismatch");
  }

  const companyId = key.companyId;
  if (facts.routeCompany === null) return deny("company_required");
  if (facts.routeCompany !== undefined && facts.routeCompany !== companyId) return deny("company_forbidden");
  if (facts.companySelector !== null && facts.companySelector !== companyId) return deny("company_forbidden");

  const missing = missingScopes(key.scopes, facts.route.scopes);
  if (missing.length > 0) return deny("insufficient_scope", { requiredScopes: facts.route.scopes });

  return { allow: true, keyId: key.id, companyId, scopes: key.scopes, environment: key.environment };
}
