import type { KeySpec } from "../keys/mint.js";
import {
  checkCompanyId,
  checkEnvironment,
  checkExpiry,
  checkIpAllowlist,
  checkMetadata,
  checkName,
  checkScopes,
  checkTags,
  type FieldViolation,
  Violations,
} from "../keys/validation.js";

/** Every rule a new key's settings must meet, named by CreateKeyRequest field. */
export function keySpecViolations(spec: KeySpec, now: number): FieldViolation[] {
  const v = new Violations();
  checkCompanyId(v, "company_id", spec.companyId);
  checkName(v, "name", spec.name);
  checkScopes(v, "scopes", spec.scopes);
  checkEnvironment(v, "environment", spec.environment);
  checkExpiry(v, "expire_time", spec.expireTime, now);
  checkIpAllowlist(v, "ip_allowlist", spec.ipAllowlist);
  checkMetadata(v, "metadata", spec.metadata);
  checkTags(v, "tags", spec.tags);
  return v.list;
}

/** A key spec with every optional setting at its default: no scopes, live, no expiry, no limits. */
export function defaultKeySpec(partial: Partial<KeySpec> & { companyId: string }): KeySpec {
  return {
    name: "",
    scopes: [],
    environment: "live",
    expireTime: null,
    ipAllowlist: [],
    metadata: {},
    tags: [],
    rateLimit: null,
    ...partial,
  };
}
