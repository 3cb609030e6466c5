import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type ListWebhooksRequest,
  type ListWebhooksResponse,
  ListWebhooksResponseSchema,
} from "../../gen/keyward/admin/v1/webhook_pb.js";
import { Violations } from "../../keys/validation.js";
import { callerOf } from "../caller.js";
import { invalidArgument } from "../errors.js";
import { pageOf, pagePosition, pageSize } from "../paging.js";
import { canManage, companyScope } from "../principal.js";
import { webhookResource } from "../webhook-resource.js";

/** ListWebhooks: a company admin sees its own company's endpoints; a platform admin any company's, or all. */
export function listWebhooksHandler(ctx: AppContext) {
  return async (req: ListWebhooksRequest, hctx: HandlerContext): Promise<ListWebhooksResponse> => {
    const { principal } = callerOf(hctx);
    const v = new Violations();
    const limit = pageSize(v, req.pageSize);
    const companyId = companyScope(principal, req.companyId);
    const scope = JSON.stringify(["webhooks", principal, companyId ?? null]);
    const position = pagePosition(ctx.pageTokens, v, scope, req.pageToken, 1);
    if (!v.ok) throw invalidArgument(v.list);
    if (companyId !== undefined && !canManage(principal, companyId)) {
      return create(ListWebhooksResponseSchema, {});
    }
    const rows = await ctx.webhooks.list(companyId, position?.[0], limit + 1);
    const page = pageOf(ctx.pageTokens, scope, rows, limit, (last) => [last.id]);
    return create(ListWebhooksResponseSchema, {
      webhooks: page.items.map(webhookResource),
      nextPageToken: page.nextPageToken,
    });
  };
}
