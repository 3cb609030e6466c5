import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import type { DetachCompanyRequest } from "../../gen/keyward/admin/v1/key_admin_pb.js";
import type { Key } from "../../gen/keyward/admin/v1/key_pb.js";
import { callerOf } from "../caller.js";
import { badField } from "../errors.js";
import { mutateKey } from "../key-mutation.js";
import { keyResource } from "../key-resource.js";
import { canManage } from "../principal.js";

/**
 * DetachCompany: a company cuts itself out of an integration key. Its own admins may do this for a key that
 * belongs to someone else (the platform); the event is filed under both companies.
 */
export function detachCompanyHandler(ctx: AppContext) {
  return async (req: DetachCompanyRequest, hctx: HandlerContext): Promise<Key> => {
    const caller = callerOf(hctx);
    if (!req.companyId) throw badField("company_id", "is required");
    const key = await mutateKey(ctx, caller, {
      keyId: req.keyId,
      action: "key.detach_company",
      change: (k) =>
        k.kind === "integration"
          ? { companyIds: k.companyIds.filter((c) => c !== req.companyId) }
          : { refused: "only integration keys act for several companies" },
      // Admins of the detached company (or the key's owners), and only for a company the key lists.
      authorize: (k) =>
        k.companyIds.includes(req.companyId) &&
        (canManage(caller.principal, req.companyId) || canManage(caller.principal, k.companyId)),
      alsoCompanies: [req.companyId],
    });
    return keyResource(key, caller.principal);
  };
}
