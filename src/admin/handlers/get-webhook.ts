import type { HandlerContext } from "@connectrpc/connect";
import type { GetWebhookRequest, Webhook } from "../../gen/keyward/admin/v1/webhook_pb.js";
import { type AdminContext, callerOf } from "../admin-context.js";
import { visibleWebhook } from "../webhook-access.js";
import { webhookResource } from "../webhook-resource.js";

/** GetWebhook: one endpoint the caller manages. */
export function getWebhookHandler(ctx: AdminContext) {
  return async (req: GetWebhookRequest, hctx: HandlerContext): Promise<Webhook> =>
    webhookResource(await visibleWebhook(ctx, callerOf(hctx), req.webhookId));
}
