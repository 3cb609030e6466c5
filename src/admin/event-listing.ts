import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../context.js";
import { Violations } from "../keys/validation.js";
import { callerOf } from "./caller.js";
import { invalidArgument } from "./errors.js";
import { pagePosition, pageSize } from "./paging.js";
import { canManage, companyScope, type Principal } from "./principal.js";
import { timestampInput } from "./request-input.js";
import { visibleKey } from "./visible-key.js";

/** What every event listing request carries. */
export interface EventListRequest {
  pageSize: number;
  pageToken: string;
  keyId: string;
  companyId: string;
  startTime?: Timestamp | undefined;
  endTime?: Timestamp | undefined;
}

/** A checked event listing: its filter, page size, page-token scope and where the page starts. */
export interface EventListing<F> {
  filter: F & { keyId?: string; companyId?: string; since?: Date; until?: Date };
  limit: number;
  scope: string;
  beforeId: string | undefined;
}

/**
 * The part every event listing shares: page size, time window, key and company filters (a company admin's
 * own company by default), and the page token, bound to this exact query. `more` adds the listing's own
 * filters. Null when the caller may see none of it: another company asks for nothing.
 */
export async function eventListing<F extends object>(
  ctx: AppContext,
  hctx: HandlerContext,
  req: EventListRequest,
  kind: string,
  more: (v: Violations, principal: Principal) => F,
): Promise<EventListing<F> | null> {
  const caller = callerOf(hctx);
  const { principal } = caller;
  const v = new Violations();
  const limit = pageSize(v, req.pageSize);
  const since = req.startTime ? (timestampInput(v, "start_time", req.startTime) ?? undefined) : undefined;
  const until = req.endTime ? (timestampInput(v, "end_time", req.endTime) ?? undefined) : undefined;
  const companyId = companyScope(principal, req.companyId);
  const filter = { keyId: req.keyId || undefined, companyId, ...more(v, principal), since, until };
  const scope = JSON.stringify([kind, principal, filter]);
  const position = pagePosition(ctx.pageTokens, v, scope, req.pageToken, 1);
  if (!v.ok) throw invalidArgument(v.list);
  // A key filter on another company's key answers NOT_FOUND, as every other call does for it.
  if (req.keyId) await visibleKey(ctx, caller, req.keyId);
  if (companyId !== undefined && !canManage(principal, companyId)) return null;
  return { filter, limit, scope, beforeId: position?.[0] };
}
