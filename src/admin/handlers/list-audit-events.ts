import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type AuditEvent,
  AuditEventSchema,
  type ListAuditEventsRequest,
  type ListAuditEventsResponse,
  ListAuditEventsResponseSchema,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import { Violations } from "../../keys/validation.js";
import type { AuditEventRecord } from "../../store/audit-repository.js";
import { callerOf } from "../caller.js";
import { invalidArgument } from "../errors.js";
import { pageOf, pagePosition, pageSize } from "../paging.js";
import { canManage, companyScope } from "../principal.js";
import { timestampInput } from "../request-input.js";
import { visibleKey } from "../visible-key.js";

/** ListAuditEvents: newest first, filtered by key, company, action and time; a company admin sees its own. */
export function listAuditEventsHandler(ctx: AppContext) {
  return async (req: ListAuditEventsRequest, hctx: HandlerContext): Promise<ListAuditEventsResponse> => {
    const caller = callerOf(hctx);
    const { principal } = caller;
    const v = new Violations();
    const limit = pageSize(v, req.pageSize);
    const since = req.startTime ? timestampInput(v, "start_time", req.startTime) : null;
    const until = req.endTime ? timestampInput(v, "end_time", req.endTime) : null;
    if (req.action.length > 64) v.add("action", "must be at most 64 characters");
    const companyId = companyScope(principal, req.companyId);
    const filter = {
      keyId: req.keyId || undefined,
      companyId,
      action: req.action || undefined,
      since,
      until,
    };
    const scope = JSON.stringify(["audit", principal, filter]);
    const position = pagePosition(ctx.pageTokens, v, scope, req.pageToken, 1);
    if (!v.ok) throw invalidArgument(v.list);
    // A key filter on another company's key answers NOT_FOUND, as every other call does for it.
    if (req.keyId) await visibleKey(ctx, caller, req.keyId);
    if (companyId !== undefined && !canManage(principal, companyId))
      return create(ListAuditEventsResponseSchema, {});
    const rows = await ctx.audit.list({
      ...filter,
      since: since ?? undefined,
      until: until ?? undefined,
      beforeId: position?.[0],
      limit: limit + 1,
    });
    const page = pageOf(ctx.pageTokens, scope, rows, limit, (last) => [last.id]);
    return create(ListAuditEventsResponseSchema, {
      events: page.items.map(auditEvent),
      nextPageToken: page.nextPageToken,
    });
  };
}

function auditEvent(e: AuditEventRecord): AuditEvent {
  return create(AuditEventSchema, {
    ...e,
    time: timestampFromDate(e.time),
    keyId: e.keyId ?? "",
    reason: e.reason ?? "",
    requestId: e.requestId ?? "",
    sourceIp: e.sourceIp ?? "",
    userId: e.userId ?? "",
    before: (e.before ?? undefined) as JsonObject | undefined,
    after: (e.after ?? undefined) as JsonObject | undefined,
  });
}
