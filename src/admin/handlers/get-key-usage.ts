import { create } from "@bufbuild/protobuf";
import { timestampFromDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import type { AppContext } from "../../context.js";
import {
  type GetKeyUsageRequest,
  type KeyUsage,
  KeyUsageSchema,
} from "../../gen/keyward/admin/v1/key_admin_pb.js";
import { Violations } from "../../keys/validation.js";
import { UsageSeriesRepository } from "../../store/usage-series-repository.js";
import { callerOf } from "../caller.js";
import { fillBuckets, seriesShape } from "../console/usage-buckets.js";
import { invalidArgument } from "../errors.js";
import { canManage } from "../principal.js";
import { timestampInput } from "../request-input.js";
import { visibleKey } from "../visible-key.js";

const DAY_MS = 86_400_000;

/**
 * GetKeyUsage: counts and busiest endpoints in the window (as flushed, about once a second), and when the key
 * was last used, including uses this replica has not written yet.
 */
export function getKeyUsageHandler(ctx: AppContext) {
  const seriesStore = new UsageSeriesRepository(ctx.database.db);
  return async (req: GetKeyUsageRequest, hctx: HandlerContext): Promise<KeyUsage> => {
    const v = new Violations();
    // One clock read: the default window is exactly a day, not a day less the time between two reads.
    const now = ctx.now();
    const end = req.endTime ? timestampInput(v, "end_time", req.endTime) : new Date(now);
    const start = req.startTime ? timestampInput(v, "start_time", req.startTime) : new Date(now - DAY_MS);
    if (start && end && start > end) v.add("start_time", "must not be after end_time");
    const series = start && end ? seriesShape(v, req.granularity, start, end) : undefined;
    if (!v.ok || !start || !end || !series) throw invalidArgument(v.list);
    const caller = callerOf(hctx);
    const key = await visibleKey(ctx, caller, req.keyId);
    // A company that only shares the key (integration key, member's token) sees the usage it was charged.
    const shared = !canManage(caller.principal, key.companyId) && caller.principal.kind === "key";
    const onlyCompany = shared && caller.principal.kind === "key" ? caller.principal.companyId : undefined;
    const stored = key.lastUsedTime?.getTime() ?? 0;
    const lastUsed = Math.max(stored, ctx.traffic.pendingLastUsed(key.id) ?? 0);
    const usage = await ctx.trafficStore.usage(key.id, start, end, onlyCompany);
    const points = await seriesStore.series(key.id, start, end, series.widthMs, onlyCompany);
    return create(KeyUsageSchema, {
      keyId: key.id,
      lastUsedTime: lastUsed > 0 ? timestampFromMs(lastUsed) : undefined,
      startTime: timestampFromDate(start),
      endTime: timestampFromDate(end),
      requestCount: BigInt(usage.requests),
      deniedCount: BigInt(usage.denied),
      topEndpoints: usage.topEndpoints.map((e) => ({ ...e, requestCount: BigInt(e.requests) })),
      companies: usage.byCompany.map((c) => ({
        companyId: c.companyId,
        requestCount: BigInt(c.requests),
        deniedCount: BigInt(c.denied),
      })),
      granularity: series.granularity,
      buckets: fillBuckets(points, start.getTime(), end.getTime(), series.widthMs).map((b) => ({
        startTime: timestampFromDate(b.start),
        allowedCount: BigInt(b.allowed),
        deniedCount: BigInt(b.denied),
      })),
    });
  };
}
