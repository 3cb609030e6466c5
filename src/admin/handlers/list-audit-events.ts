import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type AuditEvent,
  AuditEventSchema,
  type ListAuditEventsRequest,
  type ListAuditEventsResponse,
  ListAuditEventsResponseSchema,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import { Violations } from "../../keys/validation.js";
import type { AuditEventRow } from "../../store/schema/audit-events.js";
import { type AdminContext, callerOf } from "../admin-context.js";
import { invalidArgument } from "../errors.js";
import { visibleKey } from "../key-mutation.js";
import { pageSize } from "../paging.js";
import { canManage, isPlatform } from "../principal.js";
import { timestampInput } from "../request-input.js";

/** ListAuditEvents: newest first, filtered by key, company, action and time; a company admin sees its own. */
export function listAuditEventsHandler(ctx: AdminContext) {
  return async (req: ListAuditEventsRequest, hctx: HandlerContext): Promise<ListAuditEventsResponse> => {
    const caller = callerOf(hctx);
    const { principal } = caller;
    const v = new Violations();
    const limit = pageSize(v, req.pageSize);
    const since = req.startTime ? timestampInput(v, "start_time", req.startTime) : null;
    const until = req.endTime ? timestampInput(v, "end_time", req.endTime) : null;
    if (req.action.length > 64) v.add("action", "must be at most 64 characters");
    const companyId =
      req.companyId || (isPlatform(principal) || principal.kind !== "key" ? undefined : principal.companyId);
    const filter = {
      keyId: req.keyId || undefined,
      companyId,
      action: req.action || undefined,
      since,
      until,
    };
    const scope = JSON.stringify(["audit", principal, filter]);
    const position = req.pageToken ? ctx.pageTokens.decode(scope, req.pageToken) : undefined;
    if (req.pageToken && position?.length !== 1)
      v.add("page_token", "is not a token from a previous page of this query");
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
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return create(ListAuditEventsResponseSchema, {
      events: page.map(auditEvent),
      nextPageToken: rows.length > limit && last ? ctx.pageTokens.encode(scope, [last.id]) : "",
    });
  };
}

function auditEvent(row: AuditEventRow): AuditEvent {
  return create(AuditEventSchema, {
    id: row.id,
    time: timestampFromDate(row.time),
    actor: row.actor,
    action: row.action,
    keyId: row.key_id ?? "",
    companyId: row.company_id,
    reason: row.reason ?? "",
    requestId: row.request_id ?? "",
    sourceIp: row.source_ip ?? "",
    userId: row.user_id ?? "",
    companyIds: row.company_ids,
    before: (row.before ?? undefined) as JsonObject | undefined,
    after: (row.after ?? undefined) as JsonObject | undefined,
  });
}
