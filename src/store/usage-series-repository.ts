import { sql } from "kysely";
import type { Executor } from "./executor.js";

/** Allowed and denied requests in one time slice. */
export interface UsagePoint {
  start: Date;
  allowed: number;
  denied: number;
}

/** Reads a key's usage as a time series. */
export class UsageSeriesRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Non-empty slices of `widthMs` (a whole number of minutes) in [start, end), oldest first; with `companyId`,
   * only what that company was charged. Slices are cut on the epoch, so they do not depend on a time zone.
   */
  async series(
    keyId: string,
    start: Date,
    end: Date,
    widthMs: number,
    companyId?: string,
  ): Promise<UsagePoint[]> {
    const seconds = Math.round(widthMs / 1000);
    const slice = sql<Date>`to_timestamp(floor(extract(epoch from minute) / ${seconds}) * ${seconds})`;
    const rows = await this.db
      .selectFrom("key_usage")
      .select([
        slice.as("start"),
        sql<string>`sum(request_count)`.as("allowed"),
        sql<string>`sum(denied_count)`.as("denied"),
      ])
      .where("key_id", "=", keyId)
      .where("minute", ">=", new Date(start.getTime() - (start.getTime() % 60_000)))
      .where("minute", "<", end)
      .$if(companyId !== undefined, (q) => q.where("company_id", "=", companyId as string))
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute();
    return rows.map((r) => ({
      start: new Date(r.start),
      allowed: Number(r.allowed),
      denied: Number(r.denied),
    }));
  }
}
