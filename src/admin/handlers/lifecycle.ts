import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import type {
  ResumeKeyRequest,
  RevokeKeyRequest,
  SuspendKeyRequest,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import type { Key } from "../../gen/keyward/admin/v1/key_pb.js";
import { LIMITS } from "../../keys/validation.js";
import { callerOf } from "../caller.js";
import { badField } from "../errors.js";
import { mutateKey } from "../key-mutation.js";
import { keyResource } from "../key-resource.js";

/** SuspendKey: the key stops working until resumed. */
export function suspendKeyHandler(ctx: AppContext) {
  return async (req: SuspendKeyRequest, hctx: HandlerContext): Promise<Key> => {
    const reason = checkedReason(req.reason, false);
    const key = await mutateKey(ctx, callerOf(hctx), {
      keyId: req.keyId,
      action: "key.suspend",
      reason,
      change: (k) => {
        if (k.status === "revoked") return { refused: "a revoked key cannot be suspended" };
        if (k.status === "suspended") return { refused: "the key is already suspended" };
        return { status: "suspended", suspendReason: reason };
      },
    });
    return keyResource(key);
  };
}

/** ResumeKey: a suspended key works again; a revoked one never does. */
export function resumeKeyHandler(ctx: AppContext) {
  return async (req: ResumeKeyRequest, hctx: HandlerContext): Promise<Key> => {
    const key = await mutateKey(ctx, callerOf(hctx), {
      keyId: req.keyId,
      action: "key.resume",
      change: (k) => {
        if (k.status === "revoked") return { refused: "a revoked key cannot be resumed" };
        if (k.status === "active") return { refused: "the key is not suspended" };
        return { status: "active", suspendReason: null };
      },
    });
    return keyResource(key);
  };
}

/** RevokeKey: permanent, with a reason. */
export function revokeKeyHandler(ctx: AppContext) {
  return async (req: RevokeKeyRequest, hctx: HandlerContext): Promise<Key> => {
    const reason = checkedReason(req.reason, true);
    const key = await mutateKey(ctx, callerOf(hctx), {
      keyId: req.keyId,
      action: "key.revoke",
      reason,
      change: (k, now) =>
        k.status === "revoked"
          ? { refused: "the key is already revoked" }
          : { status: "revoked", revokeTime: now, revokeReason: reason },
    });
    return keyResource(key);
  };
}

/** The trimmed reason, checked for presence when `required` and for length. */
export function checkedReason(reason: string, required: boolean): string | null {
  const trimmed = reason.trim();
  if (required && trimmed === "") throw badField("reason", "is required");
  if (trimmed.length > LIMITS.reason) throw badField("reason", `must be at most ${LIMITS.reason} characters`);
  return trimmed || null;
}
