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
import { eventListing } from "../event-listing.js";
import { pageOf } from "../paging.js";

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
