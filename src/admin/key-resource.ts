import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Key, KeySchema } from "../gen/keyward/admin/v1/key_pb.js";
import type { KeyRecord } from "../keys/key-record.js";
import { canManage, type Principal } from "./principal.js";

/** The API resource for a stored key. Never carries the hash or the secret. */
export function keyResource(k: KeyRecord, viewer?: Principal): Key {
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
    companyIds: visibleCompanies(k.companyId, k.companyIds, viewer),
    userId: k.userId ?? "",
    leaked: k.leak !== null,
    leakReport: k.leak
      ? {
          reportTime: timestampFromDate(k.leak.time),
          reporter: k.leak.reporter,
          url: k.leak.url ?? "",
          source: k.leak.source ?? "",
        }
      : undefined,
  });
}

/**
 * The companies of an integration key that `viewer` may see: all of them for the key's owner and platform
 * admins; for a company that is only listed on the key, itself alone, since the other customers of the same
 * integration are none of its business.
 */
export function visibleCompanies(
  ownerId: string,
  companyIds: readonly string[],
  viewer: Principal | undefined,
): string[] {
  if (!viewer || canManage(viewer, ownerId) || viewer.kind !== "key") return [...companyIds];
  return companyIds.filter((c) => c === viewer.companyId);
}
