import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Key, KeySchema } from "../gen/keyward/admin/v1/key_pb.js";
import type { KeyRecord } from "../keys/key-record.js";

/** The API resource for a stored key. Never carries the hash or the secret. */
export function keyResource(k: KeyRecord): Key {
  return create(KeySchema, {
    id: k.id,
    companyId: k.companyId,
    name: k.name,
    hint: k.hint,
    environment: k.environment,
    scopes: k.scopes,
    status: k.status,
    ipAllowlist: k.ipAllowlist,
    metadata: k.metadata,
    tags: k.tags,
    expireTime: k.expireTime ? timestampFromDate(k.expireTime) : undefined,
    createTime: timestampFromDate(k.createTime),
    updateTime: timestampFromDate(k.updateTime),
    lastUsedTime: k.lastUsedTime ? timestampFromDate(k.lastUsedTime) : undefined,
    revokeTime: k.revokeTime ? timestampFromDate(k.revokeTime) : undefined,
    revokeReason: k.revokeReason ?? "",
    suspendReason: k.suspendReason ?? "",
    rateLimit: k.rateLimit
      ? {
          requests: k.rateLimit.requests,
          window: durationFromMs(k.rateLimit.windowMs),
          burst: k.rateLimit.burst,
        }
      : undefined,
    rotatedFromKeyId: k.rotatedFromKeyId ?? "",
    rotatedToKeyId: k.rotatedToKeyId ?? "",
    kind: k.kind,
    companyIds: k.companyIds,
    userId: k.userId ?? "",
  });
}

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
