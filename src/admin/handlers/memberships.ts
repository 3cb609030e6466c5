import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
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
import { RESERVED_SCOPES } from "../../keys/scopes.js";
import { checkCompanyId, checkScopes, Violations } from "../../keys/validation.js";
import { addMembership, removeMembership } from "../../lifecycle/users.js";
import { type Caller, callerOf } from "../caller.js";
import { badField, invalidArgument, permissionDenied, userNotFound } from "../errors.js";
import { canManage, isPlatform } from "../principal.js";
import { membershipResource } from "../user-resource.js";

/**
 * AddMembership: the user's tokens may act for the company from now on, with at most the scopes the company
 * grants here. Only that company's admins (or a platform admin) can add someone to it. The answer names the
 * user's default company, so the company sees whose user it adds. Filed under both companies.
 */
export function addMembershipHandler(ctx: AppContext) {
  return async (req: AddMembershipRequest, hctx: HandlerContext): Promise<Membership> => {
    const caller = callerOf(hctx);
    checkTarget(caller, req.userId, req.companyId, req.scopes);
    const outcome = await addMembership(ctx, {
      userId: req.userId,
      companyId: req.companyId,
      scopes: req.scopes,
      audit: caller.audit,
    });
    if (outcome.kind === "no_user") throw userNotFound(req.userId);
    if (outcome.kind === "exists")
      throw new ConnectError("the user already belongs to the company", Code.AlreadyExists);
    return membershipResource(outcome.membership);
  };
}

/** RemoveMembership: the user's tokens stop acting for the company. */
export function removeMembershipHandler(ctx: AppContext) {
  return async (req: RemoveMembershipRequest, hctx: HandlerContext): Promise<RemoveMembershipResponse> => {
    const caller = callerOf(hctx);
    checkTarget(caller, req.userId, req.companyId);
    if (!(await removeMembership(ctx, { userId: req.userId, companyId: req.companyId, audit: caller.audit })))
      throw new ConnectError("no such membership", Code.NotFound);
    return create(RemoveMembershipResponseSchema, {});
  };
}

/** ListMemberships: by user or by company; a company admin sees only its own company's memberships. */
export function listMembershipsHandler(ctx: AppContext) {
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

function checkTarget(caller: Caller, userId: string, companyId: string, scopes?: readonly string[]): void {
  const v = new Violations();
  if (!userId) v.add("user_id", "is required");
  checkCompanyId(v, "company_id", companyId);
  // What the company lets the user's tokens do there: said explicitly, never an admin power.
  if (scopes) {
    if (scopes.length === 0) v.add("scopes", "is required: what the user's tokens may do for this company");
    checkScopes(v, "scopes", scopes);
    if (scopes.some((s) => RESERVED_SCOPES.has(s))) {
      v.add("scopes", "keys:admin and platform:admin cannot be granted to a membership");
    }
  }
  if (!v.ok) throw invalidArgument(v.list);
  if (!canManage(caller.principal, companyId)) {
    throw permissionDenied("only the company's admins or a platform admin manage its memberships");
  }
}
