import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type ListKeysRequest,
  type ListKeysResponse,
  ListKeysResponseSchema,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import type { Environment } from "../../keys/format.js";
import type { KeyStatus } from "../../keys/key-record.js";
import { checkEnvironment, Violations } from "../../keys/validation.js";
import type { KeyListFilter } from "../../store/key-list-filter.js";
import { callerOf } from "../caller.js";
import { listExtras } from "../console/list-extras.js";
import { invalidArgument } from "../errors.js";
import { keyResource } from "../key-resource.js";
import { pageOf, pagePosition, pageSize } from "../paging.js";
import { canManage, companyScope } from "../principal.js";

const STATUSES = ["active", "suspended", "revoked"];

/** ListKeys: newest first; a company admin sees its own company's keys only. */
export function listKeysHandler(ctx: AppContext) {
  return async (req: ListKeysRequest, hctx: HandlerContext): Promise<ListKeysResponse> => {
    const { principal } = callerOf(hctx);
    const v = new Violations();
    if (req.status && !STATUSES.includes(req.status))
      v.add("status", 'must be "active", "suspended" or "revoked"');
    if (req.environment) checkEnvironment(v, "environment", req.environment);
    const limit = pageSize(v, req.pageSize);
    const extras = listExtras(v, req, ctx.now());
    const filter: KeyListFilter = {
      companyId: companyScope(principal, req.companyId),
      status: (req.status || undefined) as KeyStatus | undefined,
      environment: (req.environment || undefined) as Environment | undefined,
      tag: req.tag || undefined,
    };
    const scope = JSON.stringify(["keys", principal, filter, extras.query, extras.hygiene]);
    const position = pagePosition(ctx.pageTokens, v, scope, req.pageToken, 2);
    if (!v.ok) throw invalidArgument(v.list);
    // Another company's keys are invisible: asking for them finds nothing, exactly as for a company with none.
    if (filter.companyId !== undefined && !canManage(principal, filter.companyId)) {
      return create(ListKeysResponseSchema, {});
    }
    const after = position
      ? { createTime: new Date(position[0] as string), id: position[1] as string }
      : undefined;
    const [keys, hygieneCounts] = await Promise.all([
      ctx.keys.list(filter, after, limit + 1, extras),
      req.countHygiene ? ctx.keys.hygieneCounts(filter, extras) : undefined,
    ]);
    const page = pageOf(ctx.pageTokens, scope, keys, limit, (last) => [
      last.createTime.toISOString(),
      last.id,
    ]);
    return create(ListKeysResponseSchema, {
      keys: page.items.map((k) =>
        Object.assign(keyResource(k, principal), {
          requestCount24h: BigInt(k.requests24h),
          deniedCount24h: BigInt(k.denied24h),
        }),
      ),
      nextPageToken: page.nextPageToken,
      hygieneCounts: Object.fromEntries(Object.entries(hygieneCounts ?? {}).map(([h, n]) => [h, BigInt(n)])),
    });
  };
}
