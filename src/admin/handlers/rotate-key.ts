import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type RotateKeyRequest,
  type RotateKeyResponse,
  RotateKeyResponseSchema,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import { mintKey } from "../../keys/mint.js";
import { Violations } from "../../keys/validation.js";
import { AuditRepository } from "../../store/audit-repository.js";
import { KeyRepository } from "../../store/key-repository.js";
import { type AdminContext, callerOf } from "../admin-context.js";
import { failedPrecondition, invalidArgument, keyNotFound } from "../errors.js";
import { requireKeyId } from "../key-mutation.js";
import { auditView, keyResource } from "../key-resource.js";
import { canManage } from "../principal.js";
import { durationMs } from "../request-input.js";

const DEFAULT_GRACE_MS = 24 * 3_600_000;
const MAX_GRACE_MS = 30 * 86_400_000;

/**
 * RotateKey: a new secret with the same settings; the old key keeps working for the grace period (zero
 * revokes it at once). The two keys point at each other, and both changes are audited in one transaction.
 */
export function rotateKeyHandler(ctx: AdminContext) {
  return async (req: RotateKeyRequest, hctx: HandlerContext): Promise<RotateKeyResponse> => {
    const caller = callerOf(hctx);
    requireKeyId(req.keyId);
    const v = new Violations();
    const graceMs = req.gracePeriod
      ? durationMs(v, "grace_period", req.gracePeriod, MAX_GRACE_MS)
      : DEFAULT_GRACE_MS;
    if (!v.ok || graceMs === undefined) throw invalidArgument(v.list);
    const now = new Date(ctx.now());
    const response = await ctx.database.transaction(async (trx) => {
      const keys = new KeyRepository(trx);
      const audit = new AuditRepository(trx);
      const old = await keys.findByIdForUpdate(req.keyId);
      if (!old || !canManage(caller.principal, old.companyId)) throw keyNotFound(req.keyId);
      if (old.status !== "active")
        throw failedPrecondition(`only an active key can be rotated; this one is ${old.status}`);
      if (old.rotatedToKeyId)
        throw failedPrecondition(`the key was already rotated to ${old.rotatedToKeyId}`);
      const { secret, row } = mintKey(old, ctx.hasher, ctx.config.keyPrefix, now, {
        rotated_from_key_id: old.id,
      });
      const fresh = await keys.insert(row);
      const graceEnd = new Date(now.getTime() + graceMs);
      const previous = await keys.update(
        old.id,
        graceMs === 0
          ? { rotated_to_key_id: fresh.id, status: "revoked", revoke_time: now, revoke_reason: "rotated" }
          : {
              rotated_to_key_id: fresh.id,
              expire_time: old.expireTime && old.expireTime < graceEnd ? old.expireTime : graceEnd,
            },
        now,
      );
      // An integration key's companies see its rotation too.
      const alsoCompanies = old.kind === "integration" ? old.companyIds : [];
      const base = { ...caller.audit, companyId: old.companyId, alsoCompanies };
      await audit.record({
        ...base,
        action: "key.create",
        keyId: fresh.id,
        reason: `rotated from ${old.id}`,
        after: auditView(fresh),
      });
      await audit.record({
        ...base,
        action: "key.rotate",
        reason: `rotated to ${fresh.id}`,
        keyId: old.id,
        before: { status: old.status, expire_time: old.expireTime?.toISOString() ?? null },
        after: {
          status: previous.status,
          expire_time: previous.expireTime?.toISOString() ?? null,
          rotated_to_key_id: fresh.id,
        },
      });
      return create(RotateKeyResponseSchema, {
        key: keyResource(fresh),
        secret,
        previousKey: keyResource(previous),
      });
    });
    ctx.keyChanged(req.keyId);
    return response;
  };
}
