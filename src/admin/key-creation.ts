import type { AppContext } from "../app.js";
import type { KeyRecord } from "../keys/key-record.js";
import { type KeySpec, mintKey } from "../keys/mint.js";
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
import { type AuditEntry, AuditRepository } from "../store/audit-repository.js";
import { KeyRepository } from "../store/key-repository.js";
import type { NewKeyRow } from "../store/schema/keys.js";
import { auditView } from "./key-resource.js";

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

/**
 * Stores a new key and its `key.create` audit event in one transaction. Returns the record and the secret,
 * which exists nowhere else: the store keeps only its HMAC.
 */
export async function createKey(
  ctx: Pick<AppContext, "database" | "hasher" | "config" | "now">,
  spec: KeySpec,
  audit: Pick<AuditEntry, "actor" | "requestId" | "sourceIp" | "reason">,
  extra: Partial<NewKeyRow> = {},
): Promise<{ key: KeyRecord; secret: string }> {
  const { secret, row } = mintKey(spec, ctx.hasher, ctx.config.keyPrefix, new Date(ctx.now()), extra);
  const key = await ctx.database.transaction(async (trx) => {
    const key = await new KeyRepository(trx).insert(row);
    await new AuditRepository(trx).record({
      ...audit,
      action: "key.create",
      keyId: key.id,
      companyId: key.companyId,
      alsoCompanies: key.kind === "integration" ? key.companyIds : [],
      after: auditView(key),
    });
    return key;
  });
  return { key, secret };
}
