import type { KeyRecord } from "../keys/key-record.js";

/** The fields an audit event records of a key: its settings, never its hash. */
export function auditView(k: KeyRecord): Record<string, unknown> {
  return {
    name: k.name,
    environment: k.environment,
    status: k.status,
    scopes: k.scopes,
    ip_allowlist: k.ipAllowlist,
    metadata: k.metadata,
    tags: k.tags,
    expire_time: k.expireTime?.toISOString() ?? null,
    rate_limit: k.rateLimit,
    kind: k.kind,
    company_ids: k.companyIds,
    user_id: k.userId,
  };
}

/** Only the entries of `after` that differ from `before`, and their old values. */
export function changedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const field of Object.keys(after)) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) {
      b[field] = before[field] ?? null;
      a[field] = after[field] ?? null;
    }
  }
  return { before: b, after: a };
}

/** The other companies an event about `key` is filed under: an integration key's companies see it all. */
export function sharingCompanies(key: KeyRecord): readonly string[] {
  return key.kind === "integration" ? key.companyIds : [];
}
