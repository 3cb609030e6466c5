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
