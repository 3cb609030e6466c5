import type { HandlerContext } from "@connectrpc/connect";
import type {
  ResumeKeyRequest,
  RevokeKeyRequest,
  SuspendKeyRequest,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import type { Key } from "../../gen/keyward/admin/v1/key_pb.js";
import { LIMITS } from "../../keys/validation.js";
import { type AdminContext, callerOf } from "../admin-context.js";
import { badField, failedPrecondition } from "../errors.js";
import { mutateKey } from "../key-mutation.js";
import { keyResource } from "../key-resource.js";

/** SuspendKey: the key stops working until resumed. */
export function suspendKeyHandler(ctx: AdminContext) {
  return async (req: SuspendKeyRequest, hctx: HandlerContext): Promise<Key> => {
    const reason = checkedReason(req.reason, false);
    const key = await mutateKey(
      ctx,
      callerOf(hctx),
      req.keyId,
      "key.suspend",
      (k) => {
        if (k.status === "revoked") throw failedPrecondition("a revoked key cannot be suspended");
        if (k.status === "suspended") throw failedPrecondition("the key is already suspended");
        return { status: "suspended", suspend_reason: reason };
      },
      reason,
    );
    return keyResource(key);
  };
}

/** ResumeKey: a suspended key works again; a revoked one never does. */
export function resumeKeyHandler(ctx: AdminContext) {
  return async (req: ResumeKeyRequest, hctx: HandlerContext): Promise<Key> => {
    const key = await mutateKey(ctx, callerOf(hctx), req.keyId, "key.resume", (k) => {
      if (k.status === "revoked") throw failedPrecondition("a revoked key cannot be resumed");
      if (k.status === "active") throw failedPrecondition("the key is not suspended");
      return { status: "active", suspend_reason: null };
    });
    return keyResource(key);
  };
}

/** RevokeKey: permanent, with a reason. */
export function revokeKeyHandler(ctx: AdminContext) {
  return async (req: RevokeKeyRequest, hctx: HandlerContext): Promise<Key> => {
    const reason = checkedReason(req.reason, true);
    const key = await mutateKey(
      ctx,
      callerOf(hctx),
      req.keyId,
      "key.revoke",
      (k, now) => {
        if (k.status === "revoked") throw failedPrecondition("the key is already revoked");
        return { status: "revoked", revoke_time: now, revoke_reason: reason };
      },
      reason,
    );
    return keyResource(key);
  };
}

function checkedReason(reason: string, required: boolean): string | null {
  const trimmed = reason.trim();
  if (required && trimmed === "") throw badField("reason", "is required");
  if (trimmed.length > LIMITS.reason) throw badField("reason", `must be at most ${LIMITS.reason} characters`);
  return trimmed || null;
}
