import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type CreateWebhookRequest,
  type CreateWebhookResponse,
  CreateWebhookResponseSchema,
} from "../../gen/keyward/admin/v1/webhook_pb.js";
import { randomBase62 } from "../../keys/base62.js";
import { checkCompanyId, Violations } from "../../keys/validation.js";
import { newWebhookSecret } from "../../webhooks/signing.js";
import { callerOf } from "../caller.js";
import { invalidArgument, permissionDenied } from "../errors.js";
import { canManageWebhooks } from "../webhook-access.js";
import { checkDescription, checkEventTypes, checkWebhookUrl } from "../webhook-input.js";
import { webhookAuditView, webhookResource } from "../webhook-resource.js";

/** CreateWebhook: a new endpoint and its one-time signing secret. */
export function createWebhookHandler(ctx: AppContext) {
  return async (req: CreateWebhookRequest, hctx: HandlerContext): Promise<CreateWebhookResponse> => {
    const caller = callerOf(hctx);
    const p = caller.principal;
    const w = req.webhook;
    // A company admin's endpoint belongs to its own company; only platform admins make platform-wide ones.
    const companyId = w?.companyId || (p.kind === "key" && !p.platform ? p.companyId : "");
    const v = new Violations();
    if (companyId) checkCompanyId(v, "webhook.company_id", companyId);
    checkWebhookUrl(v, "webhook.url", w?.url ?? "", ctx.config.webhooks.allowInsecure);
    checkEventTypes(v, "webhook.event_types", w?.eventTypes ?? []);
    checkDescription(v, "webhook.description", w?.description ?? "");
    if (!v.ok) throw invalidArgument(v.list);
    if (!canManageWebhooks(caller, companyId))
      throw permissionDenied("may not manage this company's webhooks");
    const now = new Date(ctx.now());
    const secret = newWebhookSecret();
    const row = await ctx.database.transaction(async (tx) => {
      const row = await tx.webhooks.insert({
        id: `wh_${randomBase62(22)}`,
        company_id: companyId,
        url: w?.url ?? "",
        event_types: w?.eventTypes ?? [],
        description: w?.description ?? "",
        disabled: false,
        disabled_reason: null,
        secret,
        previous_secret: null,
        previous_secret_expire_time: null,
        create_time: now,
        update_time: now,
      });
      const after = webhookAuditView(row);
      await tx.audit.record({
        ...caller.audit,
        action: "webhook.create",
        keyId: null,
        companyId,
        after,
      });
      return row;
    });
    return create(CreateWebhookResponseSchema, { webhook: webhookResource(row), secret });
  };
}
