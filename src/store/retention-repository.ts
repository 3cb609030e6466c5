import { sql } from "kysely";
import type { Database } from "./database.js";

/** Tables whose rows age out, each by its `minute` column. Audit events are kept: they are the record. */
export const RETAINED_TABLES = ["auth_events", "key_usage", "key_usage_endpoints"] as const;
export type RetainedTable = (typeof RETAINED_TABLES)[number];

/** Deletes aged rows in small batches, one replica at a time. */
export class RetentionRepository {
  readonly tables: readonly RetainedTable[] = RETAINED_TABLES;

  constructor(private readonly database: Database) {}

  /**
   * Deletes at most `limit` rows of `table` from minutes before `cutoff`, in a transaction that first takes
   * the retention lock of this schema (a transaction-scoped advisory lock, so it can never be left held).
   * Returns the rows deleted, or null when another replica holds the lock.
   */
  async deleteBatch(table: string, cutoff: Date, limit: number): Promise<number | null> {
    if (!(RETAINED_TABLES as readonly string[]).includes(table)) throw new Error(`no retention for ${table}`);
    // A raw transaction: the retention lock and the delete must share one connection, and touch no key.
    return this.database.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ locked: boolean }>`
        select pg_try_advisory_xact_lock(hashtext('keyward retention ' || current_schema())) as locked
      `.execute(trx);
      if (!rows[0]?.locked) return null;
      const result = await sql`
        delete from ${sql.table(table)} where ctid in (
          select ctid from ${sql.table(table)} where minute < ${cutoff} limit ${limit}
        )
      `.execute(trx);
      return Number(result.numAffectedRows ?? 0n);
    });
  }
}
