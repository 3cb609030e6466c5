import { Code, ConnectError } from "@connectrpc/connect";
import type { AppContext } from "../context.js";
import type { WebhookRow } from "../store/schema/webhooks.js";
import type { Caller } from "./caller.js";
import { badField } from "./errors.js";
import { canManage, isPlatform } from "./principal.js";

/** NOT_FOUND for a missing endpoint and for another company's alike. */
export function webhookNotFound(id: string): ConnectError {
  return new ConnectError(`webhook "${id.slice(0, 64)}" not found`, Code.NotFound);
}

/** Whether the caller manages the endpoints of `companyId` ("" = platform-wide: platform admins only). */
export function canManageWebhooks(caller: Caller, companyId: string): boolean {
  return companyId === "" ? isPlatform(caller.principal) : canManage(caller.principal, companyId);
}

/** The endpoint `id` if the caller manages it; NOT_FOUND otherwise. */
export async function visibleWebhook(ctx: AppContext, caller: Caller, id: string): Promise<WebhookRow> {
  if (!id) throw badField("webhook_id", "is required");
  const row = id.length <= 64 ? await ctx.webhooks.findById(id) : undefined;
  if (!row || !canManageWebhooks(caller, row.company_id)) throw webhookNotFound(id);
  return row;
}
