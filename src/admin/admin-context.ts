import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../app.js";
import type { AuditEntry } from "../store/audit-repository.js";
import type { PageTokens } from "./page-token.js";
import { actorOf, type Principal, principalKey, sourceIpKey } from "./principal.js";

/** What admin handlers share: the app context plus admin-only services. */
export interface AdminContext extends AppContext {
  pageTokens: PageTokens;
}

/** The authenticated caller and the audit fields every change records. */
export interface Caller {
  principal: Principal;
  audit: Pick<AuditEntry, "actor" | "requestId" | "sourceIp">;
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
