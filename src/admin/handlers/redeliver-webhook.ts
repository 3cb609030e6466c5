import { randomUUID } from "node:crypto";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import type { RedeliverWebhookRequest, WebhookDelivery } from "../../gen/keyward/admin/v1/webhook_pb.js";
import { callerOf } from "../caller.js";
import { badField, failedPrecondition } from "../errors.js";
import { visibleWebhook } from "../webhook-access.js";
import { deliveryResource } from "../webhook-resource.js";

/** RedeliverWebhook: the same event (same `webhook-id`) to the same endpoint, queued now as a new delivery. */
export function redeliverWebhookHandler(ctx: AppContext) {
  return async (req: RedeliverWebhookRequest, hctx: HandlerContext): Promise<WebhookDelivery> => {
    const caller = callerOf(hctx);
    if (!req.deliveryId) throw badField("delivery_id", "is required");
    const repo = ctx.deliveries;
    const found = req.deliveryId.length <= 64 ? await repo.findById(req.deliveryId) : undefined;
    // Another company's delivery is as absent as one that never was.
    const webhook = found
      ? await visibleWebhook(ctx, caller, found.webhook_id).catch(() => undefined)
      : undefined;
    if (!found || !webhook) {
      throw new ConnectError(`delivery "${req.deliveryId.slice(0, 64)}" not found`, Code.NotFound);
    }
    if (webhook.disabled) throw failedPrecondition("the webhook is disabled; enable it first");
    const fresh = await repo.requeue(found, `whd_${randomUUID().replaceAll("-", "")}`, new Date(ctx.now()));
    return deliveryResource(fresh);
  };
}
