import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type ListAuthEventsRequest,
  type ListAuthEventsResponse,
  ListAuthEventsResponseSchema,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import { permissionDenied } from "../errors.js";
import { eventListing } from "../event-listing.js";
import { pageOf } from "../paging.js";
import { isPlatform } from "../principal.js";

/**
 * ListAuthEvents: the aggregated authentication audit, newest first. A company admin sees its own keys' events;
 * failures with unknown keys belong to no company, so only platform admins read those.
 */
export function listAuthEventsHandler(ctx: AppContext) {
  return async (req: ListAuthEventsRequest, hctx: HandlerContext): Promise<ListAuthEventsResponse> => {
    const listing = await eventListing(ctx, hctx, req, "auth", (v, principal) => {
      if (req.outcome.length > 64) v.add("outcome", "must be at most 64 characters");
      if (req.sourceIp.length > 64) v.add("source_ip", "must be at most 64 characters");
      if (req.sourceIp && !isPlatform(principal))
        throw permissionDenied("only platform admins read events by source IP");
      return { sourceIp: req.sourceIp || undefined, outcome: req.outcome || undefined };
    });
    if (!listing) return create(ListAuthEventsResponseSchema, {});
    const { filter, limit, scope, beforeId } = listing;
    const rows = await ctx.trafficStore.authEvents({ ...filter, beforeId, limit: limit + 1 });
    const page = pageOf(ctx.pageTokens, scope, rows, limit, (last) => [last.id]);
    return create(ListAuthEventsResponseSchema, {
      events: page.items.map((e) => ({
        ...e,
        minute: timestampFromDate(e.minute),
        count: BigInt(e.count),
        distinctSourceIps: e.sourceIps.length,
      })),
      nextPageToken: page.nextPageToken,
    });
  };
}
