import type { HandlerContext } from "@connectrpc/connect";
import type { Updateable } from "kysely";
import type { AppContext } from "../../context.js";
import type { UpdateWebhookRequest, Webhook } from "../../gen/keyward/admin/v1/webhook_pb.js";
import { Violations } from "../../keys/validation.js";
import { changedFields } from "../../lifecycle/audit-view.js";
import type { WebhooksTable } from "../../store/schema/webhooks.js";
import { callerOf } from "../caller.js";
import { badField, invalidArgument } from "../errors.js";
import { visibleWebhook, webhookNotFound } from "../webhook-access.js";
import { checkDescription, checkEventTypes, checkWebhookUrl } from "../webhook-input.js";
import { webhookAuditView, webhookResource } from "../webhook-resource.js";

const PATHS = ["url", "event_types", "description", "disabled"];

/** UpdateWebhook: the fields named by `update_mask`; enabling an endpoint clears why it was disabled. */
export function updateWebhookHandler(ctx: AppContext) {
  return async (req: UpdateWebhookRequest, hctx: HandlerContext): Promise<Webhook> => {
    const caller = callerOf(hctx);
    const w = req.webhook;
    const paths = req.updateMask?.paths ?? [];
    const v = new Violations();
    if (paths.length === 0) v.add("update_mask", "must name at least one field");
    for (const p of paths) if (!PATHS.includes(p)) v.add("update_mask", `cannot update "${p.slice(0, 64)}"`);
    const patch: Updateable<WebhooksTable> = {};
    if (paths.includes("url")) {
      checkWebhookUrl(v, "webhook.url", w?.url ?? "", ctx.config.webhooks.allowInsecure);
      patch.url = w?.url ?? "";
    }
    if (paths.includes("event_types")) {
      checkEventTypes(v, "webhook.event_types", w?.eventTypes ?? []);
      patch.event_types = w?.eventTypes ?? [];
    }
    if (paths.includes("description")) {
      checkDescription(v, "webhook.description", w?.description ?? "");
      patch.description = w?.description ?? "";
    }
    if (paths.includes("disabled"))
      Object.assign(patch, { disabled: w?.disabled ?? false, disabled_reason: null });
    if (!w?.id) throw badField("webhook.id", "is required");
    if (!v.ok) throw invalidArgument(v.list);
    await visibleWebhook(ctx, caller, w.id);
    const row = await ctx.database.transaction(async (tx) => {
      const repo = tx.webhooks;
      const before = await repo.findByIdForUpdate(w.id);
      if (!before) throw webhookNotFound(w.id);
      const after = await repo.update(w.id, { ...patch, update_time: new Date(ctx.now()) });
      const diff = changedFields(webhookAuditView(before), webhookAuditView(after));
      await tx.audit.record({
        ...caller.audit,
        action: "webhook.update",
        keyId: null,
        companyId: after.company_id,
        before: { webhook_id: after.id, ...diff.before },
        after: { webhook_id: after.id, ...diff.after },
      });
      return after;
    });
    return webhookResource(row);
  };
}
