import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type RevokeAllKeysRequest,
  type RevokeAllKeysResponse,
  RevokeAllKeysResponseSchema,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import { revokeAllKeys } from "../../lifecycle/revoke-all-keys.js";
import { callerOf } from "../caller.js";
import { permissionDenied } from "../errors.js";
import { canManage, companyScope } from "../principal.js";
import { checkedReason } from "./lifecycle.js";

/**
 * RevokeAllKeys: a company's admins revoke every key it owns; platform admins any company's, or with no
 * company every key there is. A reason is required: it is the audit trail of an emergency.
 */
export function revokeAllKeysHandler(ctx: AppContext) {
  return async (req: RevokeAllKeysRequest, hctx: HandlerContext): Promise<RevokeAllKeysResponse> => {
    const caller = callerOf(hctx);
    const reason = checkedReason(req.reason, true) ?? "";
    const companyId = companyScope(caller.principal, req.companyId) ?? null;
    if (companyId !== null && !canManage(caller.principal, companyId))
      throw permissionDenied(`the caller may not manage the keys of company "${companyId}"`);
    const revoked = await revokeAllKeys(ctx, { companyId, reason, audit: caller.audit });
    return create(RevokeAllKeysResponseSchema, { revokedCount: BigInt(revoked) });
  };
}
