import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import type { CreateUserRequest, GetUserRequest } from "../../gen/keyward/admin/v1/key_admin_pb.js";
import type { User } from "../../gen/keyward/admin/v1/key_pb.js";
import { checkCompanyId, checkName, Violations } from "../../keys/validation.js";
import { createUser } from "../../lifecycle/users.js";
import { callerOf } from "../caller.js";
import { invalidArgument, permissionDenied, userNotFound } from "../errors.js";
import { canManage, isPlatform } from "../principal.js";
import { userResource } from "../user-resource.js";

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

/** CreateUser: a user and their membership in the default company, audited together. */
export function createUserHandler(ctx: AppContext) {
  return async (req: CreateUserRequest, hctx: HandlerContext): Promise<User> => {
    const caller = callerOf(hctx);
    const input = req.user;
    const v = new Violations();
    if (!input?.id) v.add("user.id", "is required");
    else if (!USER_ID.test(input.id)) v.add("user.id", "must be 1-128 letters, digits and _ . : @ -");
    checkName(v, "user.name", input?.name ?? "");
    checkCompanyId(v, "user.default_company_id", input?.defaultCompanyId ?? "");
    if (!v.ok || !input) throw invalidArgument(v.list);
    if (!canManage(caller.principal, input.defaultCompanyId)) {
      throw permissionDenied("only the default company's admins or a platform admin can create this user");
    }
    const user = await createUser(ctx, {
      user: { id: input.id, name: input.name, defaultCompanyId: input.defaultCompanyId },
      audit: caller.audit,
    });
    if (!user) throw new ConnectError(`user "${input.id}" already exists`, Code.AlreadyExists);
    return userResource(user);
  };
}

/** GetUser: platform admins see every user; a company admin sees the users who belong to its company. */
export function getUserHandler(ctx: AppContext) {
  return async (req: GetUserRequest, hctx: HandlerContext): Promise<User> => {
    const { principal } = callerOf(hctx);
    const user = req.userId && req.userId.length <= 128 ? await ctx.users.find(req.userId) : undefined;
    const visible =
      user &&
      (isPlatform(principal) ||
        (principal.kind === "key" &&
          (user.defaultCompanyId === principal.companyId ||
            (await ctx.users.isMember(user.id, principal.companyId)))));
    if (!user || !visible) throw userNotFound(req.userId);
    return userResource(user);
  };
}
