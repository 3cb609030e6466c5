import type { HandlerContext } from "@connectrpc/connect";
import type { AuditFields } from "../lifecycle/write-deps.js";
import { actorOf, type Principal, principalKey, sourceIpKey } from "./principal.js";

/** The authenticated caller and the audit fields every change records. */
export interface Caller {
  principal: Principal;
  audit: AuditFields;
}

/** The caller of the current request. The interceptor has authenticated it; a missing one is a bug. */
export function callerOf(hctx: HandlerContext): Caller {
  const principal = hctx.values.get(principalKey);
  if (!principal) throw new Error("admin handler reached without an authenticated principal");
  const requestId = hctx.requestHeader.get("x-request-id");
  return {
    principal,
    audit: {
      actor: actorOf(principal),
      requestId: requestId ? requestId.slice(0, 128) : null,
      sourceIp: hctx.values.get(sourceIpKey),
    },
  };
}
