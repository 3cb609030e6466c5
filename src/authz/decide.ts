import { holdsAll } from "../keys/scopes.js";
import { type Decision, type Deny, deny } from "./decision.js";
import { keyStanding } from "./key-standing.js";
import type { RequestFacts } from "./request-facts.js";
import type { Verification } from "./verification.js";
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
  const standing = keyStanding(key, facts.sourceIp, now);
  if (standing) return deny(standing);
  if (facts.route.environment && facts.route.environment !== key.environment) {
    return deny("environment_mismatch");
  }

  const acting = actingCompany(facts, key);
  if (typeof acting !== "string") return acting;
  const companyId = acting;

  // A user token holds, in each company, only what that company's membership granted it.
  const scopes = key.kind === "user" ? (key.grants.get(companyId)?.scopes ?? []) : key.scopes;
  if (!holdsAll(scopes, facts.route.scopes)) {
    return deny("insufficient_scope", { requiredScopes: facts.route.scopes });
  }

  return { allow: true, keyId: key.id, companyId, scopes, environment: key.environment };
}

/**
 * `decide` on what verification found. A credential refused offline (bad length or checksum) is denied
 * `malformed_key` before anything about the route is looked at, exactly like a malformed header.
 */
export function decideVerified(facts: RequestFacts, verification: Verification, now: number): Decision {
  if (verification.kind === "malformed" && !facts.problem) return deny("malformed_key");
  return decide(facts, verification.kind === "key" ? verification.key : undefined, now);
}

/**
 * The company the request acts for, or why it may not act at all. An ordinary key acts for its own company
 * only. An integration key must name one of its companies in the selector header. A user token acts for the
 * company named there, or its user's default company, if the user currently belongs to it. Whatever the kind,
 * a route's `company_from` must name the same company.
 */
function actingCompany(facts: RequestFacts, key: VerifiedKey): string | Deny {
  if (facts.routeCompany === null) return deny("company_required");
  let acting: string;
  if (key.kind === "integration") {
    if (facts.companySelector === null) return deny("company_required");
    if (!key.actsFor.has(facts.companySelector)) return deny("company_forbidden");
    acting = facts.companySelector;
  } else if (key.kind === "user") {
    acting = facts.companySelector ?? key.companyId;
    if (!key.actsFor.has(acting)) return deny("company_forbidden");
  } else {
    acting = key.companyId;
    if (facts.companySelector !== null && facts.companySelector !== acting) return deny("company_forbidden");
  }
  if (facts.routeCompany !== undefined && facts.routeCompany !== acting) return deny("company_forbidden");
  return acting;
}
