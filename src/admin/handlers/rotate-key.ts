import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type RotateKeyRequest,
  type RotateKeyResponse,
  RotateKeyResponseSchema,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import { Violations } from "../../keys/validation.js";
import { rotateKey } from "../../lifecycle/rotate-key.js";
import { callerOf } from "../caller.js";
import { failedPrecondition, invalidArgument, keyNotFound } from "../errors.js";
import { checkPlatformGrant } from "../key-kind.js";
import { keyResource } from "../key-resource.js";
import { canManage } from "../principal.js";
import { durationMs } from "../request-input.js";
import { requireKeyId } from "../visible-key.js";

const DEFAULT_GRACE_MS = 24 * 3_600_000;
const MAX_GRACE_MS = 30 * 86_400_000;

/**
 * RotateKey: a new secret with the same settings; the old key keeps working for the grace period (zero
 * revokes it at once).
 */
export function rotateKeyHandler(ctx: AppContext) {
  return async (req: RotateKeyRequest, hctx: HandlerContext): Promise<RotateKeyResponse> => {
    const caller = callerOf(hctx);
    requireKeyId(req.keyId);
    const v = new Violations();
    const graceMs = req.gracePeriod
      ? durationMs(v, "grace_period", req.gracePeriod, MAX_GRACE_MS)
      : DEFAULT_GRACE_MS;
    if (!v.ok || graceMs === undefined) throw invalidArgument(v.list);
    const outcome = await rotateKey(ctx, {
      keyId: req.keyId,
      graceMs,
      audit: caller.audit,
      mayChange: (key) => {
        if (!canManage(caller.principal, key.companyId)) return false;
        // An integration key's secret is the platform's to replace, not its owner's.
        checkPlatformGrant(caller.principal, key, "rotate");
        return true;
      },
    });
    switch (outcome.kind) {
      case "not_found":
        throw keyNotFound(req.keyId);
      case "not_active":
        throw failedPrecondition(`only an active key can be rotated; this one is ${outcome.status}`);
      case "already_rotated":
        throw failedPrecondition(`the key was already rotated to ${outcome.rotatedTo}`);
      case "rotated":
        return create(RotateKeyResponseSchema, {
          key: keyResource(outcome.key),
          secret: outcome.secret,
          previousKey: keyResource(outcome.previous),
        });
    }
  };
}
