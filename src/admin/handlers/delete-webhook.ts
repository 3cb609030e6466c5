import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type DeleteWebhookRequest,
  type DeleteWebhookResponse,
  DeleteWebhookResponseSchema,
} from "../../gen/keyward/admin/v1/webhook_pb.js";
import { AuditRepository } from "../../store/audit-repository.js";
import { WebhookRepository } from "../../store/webhook-repository.js";
import { type AdminContext, callerOf } from "../admin-context.js";
import { visibleWebhook } from "../webhook-access.js";
import { webhookAuditView } from "../webhook-resource.js";

/** DeleteWebhook: the endpoint and its delivery history go; nothing more is sent to it. */
export function deleteWebhookHandler(ctx: AdminContext) {
  return async (req: DeleteWebhookRequest, hctx: HandlerContext): Promise<DeleteWebhookResponse> => {
    const caller = callerOf(hctx);
    const row = await visibleWebhook(ctx, caller, req.webhookId);
    await ctx.database.transaction(async (trx) => {
      await new WebhookRepository(trx).delete(row.id);
      await new AuditRepository(trx).record({
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
