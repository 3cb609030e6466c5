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
import type { AuditEventRecord } from "../../store/audit-repository.js";
import { callerOf } from "../caller.js";
import { eventListing } from "../event-listing.js";
import { pageOf } from "../paging.js";
import { canManage, type Principal } from "../principal.js";

/** ListAuditEvents: newest first, filtered by key, company, action and time; a company admin sees its own. */
export function listAuditEventsHandler(ctx: AppContext) {
  return async (req: ListAuditEventsRequest, hctx: HandlerContext): Promise<ListAuditEventsResponse> => {
    const listing = await eventListing(ctx, hctx, req, "audit", (v) => {
      if (req.action.length > 64) v.add("action", "must be at most 64 characters");
      return { action: req.action || undefined };
    });
    if (!listing) return create(ListAuditEventsResponseSchema, {});
    const { filter, limit, scope, beforeId } = listing;
    const rows = await ctx.audit.list({
      ...filter,
      beforeId,
      limit: limit + 1,
    });
    const page = pageOf(ctx.pageTokens, scope, rows, limit, (last) => [last.id]);
    return create(ListAuditEventsResponseSchema, {
      events: page.items.map((row) => auditEvent(row, callerOf(hctx).principal)),
      nextPageToken: page.nextPageToken,
    });
  };
}

/**
 * The event as `viewer` may see it. A company the event is filed under without being its subject (one listed on
 * an integration key, the other side of a membership) sees itself and the event's company, never the other
 * companies the event was filed under or the key lists.
 */
function auditEvent(e: AuditEventRecord, viewer: Principal): AuditEvent {
  const outsider = viewer.kind === "key" && !canManage(viewer, e.companyId);
  const own = outsider ? viewer.companyId : "";
  const seen = (ids: unknown) => (Array.isArray(ids) && outsider ? ids.filter((c) => c === own) : ids);
  const fields = (o: Record<string, unknown> | null) =>
    o && "company_ids" in o ? { ...o, company_ids: seen(o.company_ids) } : o;
  return create(AuditEventSchema, {
    ...e,
    time: timestampFromDate(e.time),
    keyId: e.keyId ?? "",
    reason: e.reason ?? "",
    requestId: e.requestId ?? "",
    sourceIp: e.sourceIp ?? "",
    userId: e.userId ?? "",
    companyIds: outsider ? e.companyIds.filter((c) => c === own || c === e.companyId) : e.companyIds,
    before: (fields(e.before) ?? undefined) as JsonObject | undefined,
    after: (fields(e.after) ?? undefined) as JsonObject | undefined,
  });
}
