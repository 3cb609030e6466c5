import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import {
  type AddMembershipRequest,
  type ListMembershipsRequest,
  type ListMembershipsResponse,
  ListMembershipsResponseSchema,
  type RemoveMembershipRequest,
  type RemoveMembershipResponse,
  RemoveMembershipResponseSchema,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import type { Membership } from "../../gen/keyward/admin/v1/key_pb.js";
import { checkCompanyId, Violations } from "../../keys/validation.js";
import { AuditRepository } from "../../store/audit-repository.js";
import { UserRepository } from "../../store/user-repository.js";
import { type AdminContext, type Caller, callerOf } from "../admin-context.js";
import { badField, invalidArgument, permissionDenied } from "../errors.js";
import { canManage, isPlatform } from "../principal.js";
import { membershipResource } from "../user-resource.js";

/**
 * AddMembership: the user's tokens may act for the company from now on. Only that company's admins (or a
 * platform admin) can add someone to it. Filed under the company and the user's default company.
 */
export function addMembershipHandler(ctx: AdminContext) {
  return async (req: AddMembershipRequest, hctx: HandlerContext): Promise<Membership> => {
    const caller = callerOf(hctx);
    checkTarget(caller, req.userId, req.companyId);
    const now = new Date(ctx.now());
    const row = await ctx.database.transaction(async (trx) => {
      const users = new UserRepository(trx);
      const user = await users.find(req.userId);
      if (!user) throw new ConnectError(`user "${req.userId.slice(0, 128)}" not found`, Code.NotFound);
      const added = await users.addMembership(user.id, req.companyId, now);
      if (!added) throw new ConnectError("the user already belongs to the company", Code.AlreadyExists);
      await new AuditRepository(trx).record({
        ...caller.audit,
        action: "membership.add",
        keyId: null,
        companyId: req.companyId,
        alsoCompanies: [user.default_company_id],
        userId: user.id,
        after: { company_id: req.companyId },
      });
      return added;
    });
    return membershipResource(row);
  };
}

/**
 * RemoveMembership: the user's tokens stop acting for the company. The memberships trigger notifies every
 * replica through the key change feed, exactly like a revocation.
 */
export function removeMembershipHandler(ctx: AdminContext) {
  return async (req: RemoveMembershipRequest, hctx: HandlerContext): Promise<RemoveMembershipResponse> => {
    const caller = callerOf(hctx);
    checkTarget(caller, req.userId, req.companyId);
    const keyIds = await ctx.database.transaction(async (trx) => {
      const users = new UserRepository(trx);
      const user = await users.find(req.userId);
      const removed = user ? await users.removeMembership(user.id, req.companyId) : false;
      if (!user || !removed) throw new ConnectError("no such membership", Code.NotFound);
      await new AuditRepository(trx).record({
        ...caller.audit,
        action: "membership.remove",
        keyId: null,
        companyId: req.companyId,
        alsoCompanies: [user.default_company_id],
        userId: user.id,
        before: { company_id: req.companyId },
      });
      return trx.selectFrom("keys").select("id").where("user_id", "=", user.id).execute();
    });
    for (const { id } of keyIds) ctx.keyChanged(id);
    return create(RemoveMembershipResponseSchema, {});
  };
}

/** ListMemberships: by user or by company; a company admin sees only its own company's memberships. */
export function listMembershipsHandler(ctx: AdminContext) {
  return async (req: ListMembershipsRequest, hctx: HandlerContext): Promise<ListMembershipsResponse> => {
    const { principal } = callerOf(hctx);
    if (!req.userId && !req.companyId) throw badField("user_id", "set user_id or company_id");
    let companyId = req.companyId || undefined;
    if (!isPlatform(principal) && principal.kind === "key") {
      if (companyId && companyId !== principal.companyId) return create(ListMembershipsResponseSchema, {});
      companyId = principal.companyId;
    }
    const rows = await ctx.users.memberships({ userId: req.userId || undefined, companyId });
    return create(ListMembershipsResponseSchema, { memberships: rows.map(membershipResource) });
  };
}

function checkTarget(caller: Caller, userId: string, companyId: string): void {
  const v = new Violations();
  if (!userId) v.add("user_id", "is required");
  checkCompanyId(v, "company_id", companyId);
  if (!v.ok) throw invalidArgument(v.list);
  if (!canManage(caller.principal, companyId)) {
    throw permissionDenied("only the company's admins or a platform admin manage its memberships");
  }
}
