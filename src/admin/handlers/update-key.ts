import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import type { UpdateKeyRequest } from "../../gen/keyward/admin/v1/key_admin_pb.js";
import type { Key } from "../../gen/keyward/admin/v1/key_pb.js";
import type { KeyPatch } from "../../keys/key-record.js";
import { RESERVED_SCOPES } from "../../keys/scopes.js";
import {
  checkCompanyIds,
  checkExpiry,
  checkIpAllowlist,
  checkMetadata,
  checkName,
  checkScopes,
  checkTags,
  Violations,
} from "../../keys/validation.js";
import { callerOf } from "../caller.js";
import { badField, invalidArgument, keyNotFound, permissionDenied } from "../errors.js";
import { checkPlatformGrant } from "../key-kind.js";
import { mutateKey } from "../key-mutation.js";
import { keyResource } from "../key-resource.js";
import { canManage, isPlatform } from "../principal.js";
import { checkGrant, rateLimitInput, timestampInput } from "../request-input.js";
import { visibleKey } from "../visible-key.js";

/** The paths UpdateKey may change; everything else about a key is fixed at creation or by its own RPC. */
const MUTABLE = [
  "name",
  "scopes",
  "metadata",
  "tags",
  "ip_allowlist",
  "expire_time",
  "rate_limit",
  "company_ids",
] as const;
type MutablePath = (typeof MUTABLE)[number];

/** UpdateKey: changes the fields named in `update_mask`, and only those. */
export function updateKeyHandler(ctx: AppContext) {
  return async (req: UpdateKeyRequest, hctx: HandlerContext): Promise<Key> => {
    const caller = callerOf(hctx);
    const input = req.key;
    if (!input?.id) throw badField("key.id", "is required");
    const paths = req.updateMask?.paths ?? [];
    if (paths.length === 0) throw badField("update_mask", "must name at least one field");
    const v = new Violations();
    paths.forEach((p, i) => {
      if (!(MUTABLE as readonly string[]).includes(p)) {
        v.add(
          `update_mask.paths[${i}]`,
          `"${p.slice(0, 64)}" cannot be updated; use one of ${MUTABLE.join(", ")}`,
        );
      }
    });
    if (!v.ok) throw invalidArgument(v.list);
    const patch = patchFor(new Set(paths as MutablePath[]), input, v, ctx.now());
    if (!v.ok) throw invalidArgument(v.list);
    const current = await visibleKey(ctx, caller, input.id);
    // A key the caller may only read (shared with its company) is, for changes, a key it cannot see.
    if (!canManage(caller.principal, current.companyId)) throw keyNotFound(input.id);
    checkPlatformGrant(caller.principal, current, paths);
    if (patch.scopes) checkGrant(caller.principal, current.companyId, patch.scopes);
    if (patch.companyIds && !isPlatform(caller.principal)) {
      throw permissionDenied("only a platform admin changes the companies of an integration key");
    }
    if (patch.scopes && current.kind !== "standard" && patch.scopes.some((s) => RESERVED_SCOPES.has(s))) {
      throw badField("key.scopes", "keys:admin and platform:admin are only for standard keys");
    }
    // Companies added to or removed from an integration key see the event too.
    const touched = patch.companyIds
      ? [...new Set([...patch.companyIds, ...current.companyIds])].filter(
          (c) => patch.companyIds?.includes(c) !== current.companyIds.includes(c),
        )
      : [];
    const updated = await mutateKey(ctx, caller, {
      keyId: input.id,
      action: "key.update",
      change: (key) => {
        if (key.status === "revoked") return { refused: "a revoked key cannot be changed" };
        if (patch.companyIds && key.kind !== "integration") {
          return { refused: "only integration keys have company_ids" };
        }
        return patch;
      },
      alsoCompanies: touched,
    });
    return keyResource(updated, caller.principal);
  };
}

function patchFor(paths: Set<MutablePath>, key: Key, v: Violations, now: number): KeyPatch {
  const patch: KeyPatch = {};
  if (paths.has("name")) {
    checkName(v, "key.name", key.name);
    patch.name = key.name;
  }
  if (paths.has("scopes")) {
    checkScopes(v, "key.scopes", key.scopes);
    patch.scopes = key.scopes;
  }
  if (paths.has("metadata")) {
    checkMetadata(v, "key.metadata", key.metadata);
    patch.metadata = key.metadata;
  }
  if (paths.has("tags")) {
    checkTags(v, "key.tags", key.tags);
    patch.tags = key.tags;
  }
  if (paths.has("ip_allowlist")) {
    checkIpAllowlist(v, "key.ip_allowlist", key.ipAllowlist);
    patch.ipAllowlist = key.ipAllowlist;
  }
  if (paths.has("expire_time")) {
    // Named in the mask but unset: the key no longer expires.
    const expire = key.expireTime ? timestampInput(v, "key.expire_time", key.expireTime) : null;
    checkExpiry(v, "key.expire_time", expire, now);
    patch.expireTime = expire;
  }
  if (paths.has("company_ids")) {
    checkCompanyIds(v, "key.company_ids", key.companyIds);
    patch.companyIds = key.companyIds;
  }
  if (paths.has("rate_limit")) {
    patch.rateLimit = rateLimitInput(v, "key.rate_limit", key.rateLimit);
  }
  return patch;
}
