import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type RotateWebhookSecretRequest,
  type RotateWebhookSecretResponse,
  RotateWebhookSecretResponseSchema,
} from "../../gen/keyward/admin/v1/webhook_pb.js";
import { newWebhookSecret } from "../../webhooks/signing.js";
import { callerOf } from "../caller.js";
import { visibleWebhook, webhookNotFound } from "../webhook-access.js";
import { webhookResource } from "../webhook-resource.js";

/** How long the previous secret keeps signing beside the new one, so receivers can switch without a gap. */
const OVERLAP_MS = 24 * 3_600_000;

/** RotateWebhookSecret: a new secret, shown once; both sign every delivery for the next 24 hours. */
export function rotateWebhookSecretHandler(ctx: AppContext) {
  return async (
    req: RotateWebhookSecretRequest,
    hctx: HandlerContext,
  ): Promise<RotateWebhookSecretResponse> => {
    const caller = callerOf(hctx);
    await visibleWebhook(ctx, caller, req.webhookId);
    const now = new Date(ctx.now());
    const secret = newWebhookSecret();
    const row = await ctx.database.transaction(async (tx) => {
      const repo = tx.webhooks;
      const before = await repo.findByIdForUpdate(req.webhookId);
      if (!before) throw webhookNotFound(req.webhookId);
      const after = await repo.update(before.id, {
        secret,
        previous_secret: before.secret,
        previous_secret_expire_time: new Date(now.getTime() + OVERLAP_MS),
        update_time: now,
      });
      await tx.audit.record({
        ...caller.audit,
        action: "webhook.rotate_secret",
        keyId: null,
        companyId: after.company_id,
        after: { webhook_id: after.id },
      });
      return after;
    });
    return create(RotateWebhookSecretResponseSchema, { webhook: webhookResource(row), secret });
  };
}
