import { sql } from "kysely";
import type { KeyRecord } from "../keys/key-record.js";
import type { Executor } from "./executor.js";
import { toRecord } from "./key-repository.js";

/** Per key, a count over a window of the stored per-minute traffic. */
export interface KeyCount {
  keyId: string;
  count: number;
}

/** What the scheduled scans read and the marks that keep their events to once. */
export class NoticeRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Takes the scan lock for the rest of the transaction, or answers false when another replica holds it:
   * one replica scans at a time (per schema).
   */
  async tryScanLock(): Promise<boolean> {
    const { rows } = await sql<{ locked: boolean }>`
      select pg_try_advisory_xact_lock(hashtext(current_schema() || ':keyward-notify')) as locked
    `.execute(this.db);
    return rows[0]?.locked === true;
  }

  /**
   * Keys whose expiry is at most `aheadMs` away and not longer than `lookbackMs` past, and not yet told they
   * expired: not revoked, not rotated away (a rotated key's grace period is not news).
   */
  async expiryCandidates(
    now: Date,
    aheadMs: number,
    lookbackMs: number,
    limit: number,
  ): Promise<KeyRecord[]> {
    const rows = await this.db
      .selectFrom("keys")
      .selectAll("keys")
      .where("status", "<>", "revoked")
      .where("rotated_to_key_id", "is", null)
      .where("expire_time", "<=", new Date(now.getTime() + aheadMs))
      .where("expire_time", ">", new Date(now.getTime() - lookbackMs))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("key_notices")
              .select("key_notices.key_id")
              .whereRef("key_notices.key_id", "=", "keys.id")
              .whereRef("key_notices.expire_time", "=", "keys.expire_time")
              .where("key_notices.notice", "=", "expired"),
          ),
        ),
      )
      .orderBy("expire_time")
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  /** Records that `notice` went out for the key's expiry; false when it already had. */
  async markNotice(keyId: string, notice: string, expireTime: Date, now: Date): Promise<boolean> {
    const row = await this.db
      .insertInto("key_notices")
      .values({ key_id: keyId, notice, expire_time: expireTime, create_time: now })
      .onConflict((oc) => oc.doNothing())
      .returning("key_id")
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Records that an alert fires now; false when the same one fired within `quietMs`. */
  async claimAlert(keyId: string, cause: string, now: Date, quietMs: number): Promise<boolean> {
    const row = await this.db
      .insertInto("key_alerts")
      .values({ key_id: keyId, cause, last_time: now })
      .onConflict((oc) =>
        oc
          .columns(["key_id", "cause"])
          .doUpdateSet({ last_time: now })
          .where("key_alerts.last_time", "<=", new Date(now.getTime() - quietMs)),
      )
      .returning("key_id")
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Keys with at least `minimum` denials (or, `allowed`, requests) in the minutes from `since`. */
  async busyKeys(
    column: "denied_count" | "request_count",
    since: Date,
    until: Date,
    minimum: number,
  ): Promise<KeyCount[]> {
    const rows = await this.db
      .selectFrom("key_usage")
      .select(["key_id", sql<string>`sum(${sql.ref(column)})`.as("n")])
      .where("minute", ">=", since)
      .where("minute", "<", until)
      .groupBy("key_id")
      .having(sql`sum(${sql.ref(column)})`, ">=", minimum)
      .execute();
    return rows.map((r) => ({ keyId: r.key_id, count: Number(r.n) }));
  }

  /** Addresses each key was seen from in the per-minute authentication records from `since`. */
  async sightings(since: Date): Promise<{ keyId: string; ip: string }[]> {
    const { rows } = await sql<{ key_id: string; ip: string }>`
      select distinct key_id, ip from auth_events, unnest(source_ips) as ip
      where minute >= ${since} and key_id <> ''
    `.execute(this.db);
    return rows.map((r) => ({ keyId: r.key_id, ip: r.ip }));
  }

  /** The addresses known for `keyIds`. */
  async knownSources(keyIds: readonly string[]): Promise<{ keyId: string; ip: string; lastTime: number }[]> {
    if (keyIds.length === 0) return [];
    const rows = await this.db
      .selectFrom("key_source_ips")
      .selectAll()
      .where("key_id", "in", [...keyIds])
      .execute();
    return rows.map((r) => ({ keyId: r.key_id, ip: r.source_ip, lastTime: new Date(r.last_time).getTime() }));
  }

  /** Remembers that each key used each address at `now`. */
  async rememberSources(sightings: readonly { keyId: string; ip: string }[], now: Date): Promise<void> {
    for (let i = 0; i < sightings.length; i += 500) {
      await this.db
        .insertInto("key_source_ips")
        .values(
          sightings.slice(i, i + 500).map((s) => ({ key_id: s.keyId, source_ip: s.ip, last_time: now })),
        )
        .onConflict((oc) => oc.columns(["key_id", "source_ip"]).doUpdateSet({ last_time: now }))
        .execute();
    }
  }
}
