import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { KeyAdminService } from "../../gen/keyward/admin/v1/key_admin_pb.js";
import { principalKey, sourceIpKey } from "../principal.js";
import type { ConsoleSessions } from "./console-sessions.js";
import { readCookie, SESSION_COOKIE } from "./cookies.js";
import { crossSiteProblem, isRpcRequest } from "./csrf.js";

/** Whether the current call was authenticated by a console session. */
export const viaSessionKey = createContextKey<boolean>(false, { description: "console session" });

/**
 * Lets a console session call KeyAdmin: a call with the session cookie and no `Authorization` header acts as
 * the session's admin key, if it is plainly an RPC from this origin. Bearer calls pass untouched.
 */
export function sessionAuthInterceptor(sessions: ConsoleSessions): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName !== KeyAdminService.typeName || req.header.has("authorization")) {
      return next(req);
    }
    const id = readCookie(req.header.get("cookie"), SESSION_COOKIE);
    if (id === null) return next(req);
    const header = (name: string) => req.header.get(name);
    const crossSite = crossSiteProblem(header);
    if (crossSite || !isRpcRequest(header)) {
      throw new ConnectError(
        `refused ${crossSite ?? "a request that is not an RPC"} riding on the console session`,
        Code.PermissionDenied,
      );
    }
    const principal = await sessions.principal(id, req.contextValues.get(sourceIpKey));
    req.contextValues.set(principalKey, principal);
    req.contextValues.set(viaSessionKey, true);
    return next(req);
  };
}
