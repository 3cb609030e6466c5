import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type ListWebhookDeliveriesRequest,
  type ListWebhookDeliveriesResponse,
  ListWebhookDeliveriesResponseSchema,
} from "../../gen/keyward/admin/v1/webhook_pb.js";
import { Violations } from "../../keys/validation.js";
import { callerOf } from "../caller.js";
import { invalidArgument } from "../errors.js";
import { pageOf, pagePosition, pageSize } from "../paging.js";
import { visibleWebhook } from "../webhook-access.js";
import { deliveryResource } from "../webhook-resource.js";

/** ListWebhookDeliveries: an endpoint's deliveries, newest first. */
export function listWebhookDeliveriesHandler(ctx: AppContext) {
  return async (
    req: ListWebhookDeliveriesRequest,
    hctx: HandlerContext,
  ): Promise<ListWebhookDeliveriesResponse> => {
    const caller = callerOf(hctx);
    const v = new Violations();
    const limit = pageSize(v, req.pageSize);
    const scope = JSON.stringify(["deliveries", req.webhookId]);
    const position = pagePosition(ctx.pageTokens, v, scope, req.pageToken, 1);
    if (!v.ok) throw invalidArgument(v.list);
    const webhook = await visibleWebhook(ctx, caller, req.webhookId);
    const rows = await ctx.deliveries.list(webhook.id, position?.[0], limit + 1);
    const page = pageOf(ctx.pageTokens, scope, rows, limit, (last) => [String(last.seq)]);
    return create(ListWebhookDeliveriesResponseSchema, {
      deliveries: page.items.map(deliveryResource),
      nextPageToken: page.nextPageToken,
    });
  };
}
