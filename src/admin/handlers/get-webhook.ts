import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import type { GetWebhookRequest, Webhook } from "../../gen/keyward/admin/v1/webhook_pb.js";
import { callerOf } from "../caller.js";
import { visibleWebhook } from "../webhook-access.js";
import { webhookResource } from "../webhook-resource.js";

/** GetWebhook: one endpoint the caller manages. */
export function getWebhookHandler(ctx: AppContext) {
  return async (req: GetWebhookRequest, hctx: HandlerContext): Promise<Webhook> =>
    webhookResource(await visibleWebhook(ctx, callerOf(hctx), req.webhookId));
}
