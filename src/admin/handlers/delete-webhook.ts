import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type DeleteWebhookRequest,
  type DeleteWebhookResponse,
  DeleteWebhookResponseSchema,
} from "../../gen/keyward/admin/v1/webhook_pb.js";
import { callerOf } from "../caller.js";
import { visibleWebhook } from "../webhook-access.js";
import { webhookAuditView } from "../webhook-resource.js";

/** DeleteWebhook: the endpoint and its delivery history go; nothing more is sent to it. */
export function deleteWebhookHandler(ctx: AppContext) {
  return async (req: DeleteWebhookRequest, hctx: HandlerContext): Promise<DeleteWebhookResponse> => {
    const caller = callerOf(hctx);
    const row = await visibleWebhook(ctx, caller, req.webhookId);
    await ctx.database.transaction(async (tx) => {
      await tx.webhooks.delete(row.id);
      await tx.audit.record({
        ...caller.audit,
        action: "webhook.delete",
        keyId: null,
        companyId: row.company_id,
        before: webhookAuditView(row),
      });
    });
    return create(DeleteWebhookResponseSchema, {});
  };
}
