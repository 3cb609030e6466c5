import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type ListAuthEventsRequest,
  type ListAuthEventsResponse,
  ListAuthEventsResponseSchema,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import { Violations } from "../../keys/validation.js";
import { callerOf } from "../caller.js";
import { invalidArgument, permissionDenied } from "../errors.js";
import { pageOf, pagePosition, pageSize } from "../paging.js";
import { canManage, companyScope, isPlatform } from "../principal.js";
import { timestampInput } from "../request-input.js";
import { visibleKey } from "../visible-key.js";

/**
 * ListAuthEvents: the aggregated authentication audit, newest first. A company admin sees its own keys' events;
 * failures with unknown keys belong to no company, so only platform admins read those.
 */
export function listAuthEventsHandler(ctx: AppContext) {
  return async (req: ListAuthEventsRequest, hctx: HandlerContext): Promise<ListAuthEventsResponse> => {
    const caller = callerOf(hctx);
    const { principal } = caller;
    const v = new Violations();
    const limit = pageSize(v, req.pageSize);
    const since = req.startTime ? timestampInput(v, "start_time", req.startTime) : null;
    const until = req.endTime ? timestampInput(v, "end_time", req.endTime) : null;
    if (req.outcome.length > 64) v.add("outcome", "must be at most 64 characters");
    if (req.sourceIp.length > 64) v.add("source_ip", "must be at most 64 characters");
    if (req.sourceIp && !isPlatform(principal))
      throw permissionDenied("only platform admins read events by source IP");
    const companyId = companyScope(principal, req.companyId);
    const filter = {
      keyId: req.keyId || undefined,
      companyId,
      sourceIp: req.sourceIp || undefined,
      outcome: req.outcome || undefined,
      since: since ?? undefined,
      until: until ?? undefined,
    };
    const scope = JSON.stringify(["auth", principal, filter]);
    const position = pagePosition(ctx.pageTokens, v, scope, req.pageToken, 1);
    if (!v.ok) throw invalidArgument(v.list);
    if (req.keyId) await visibleKey(ctx, caller, req.keyId);
    if (companyId !== undefined && !canManage(principal, companyId))
      return create(ListAuthEventsResponseSchema, {});
    const rows = await ctx.trafficStore.authEvents({ ...filter, beforeId: position?.[0], limit: limit + 1 });
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
