import { sql } from "kysely";
import type { Executor } from "./executor.js";
import type { DeliveryRow } from "./schema/webhooks.js";

/** A leased delivery with what its attempt needs: the endpoint, its secrets and the event body. */
export interface LeasedDelivery {
  id: string;
  seq: string;
  webhookId: string;
  eventId: string;
  attempt: number;
  url: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpireTime: Date | null;
  body: string;
}

/** What an attempt came to, as stored. */
export interface AttemptResult {
  state: "pending" | "succeeded" | "failed";
  statusCode: number | null;
  error: string | null;
  time: Date;
  nextAttemptTime: Date | null;
}

/** The delivery queue: leases, results, history. */
export class DeliveryRepository {
  constructor(private readonly db: Executor) {}

  /** The same repository, running on `executor` (typically an open transaction). */
  with(executor: Executor): DeliveryRepository {
    return new DeliveryRepository(executor);
  }

  /**
   * Takes up to `limit` due deliveries for `leaseMs`, oldest first, at most one per endpoint: the oldest due
   * one, and none for an endpoint with a delivery in flight, so each endpoint gets its events in order (a
   * delivery waiting for a retry does not hold back newer ones). Rows another replica is taking are skipped
   * (`for update skip locked`).
   */
  async lease(now: Date, leaseMs: number, limit: number): Promise<LeasedDelivery[]> {
    const until = new Date(now.getTime() + leaseMs);
    const { rows } = await sql<{
      id: string;
      seq: string;
      webhook_id: string;
      event_id: string;
      attempt: number;
      url: string;
      secret: string;
      previous_secret: string | null;
      previous_secret_expire_time: Date | null;
      body: string;
    }>`
      with due as (
        select d.id from webhook_deliveries d
        where d.state = 'pending' and d.next_attempt_time <= ${now}
          and (d.lease_until is null or d.lease_until < ${now})
          and not exists (
            select 1 from webhook_deliveries f
            where f.webhook_id = d.webhook_id and f.state = 'pending'
              and (f.lease_until >= ${now} or (f.seq < d.seq and f.next_attempt_time <= ${now})))
        order by d.next_attempt_time, d.seq
        limit ${limit}
        for update of d skip locked
      )
      update webhook_deliveries d set lease_until = ${until}
      from due, webhooks w, webhook_events e
      where d.id = due.id and w.id = d.webhook_id and e.id = d.event_id and not w.disabled
      returning d.id, d.seq, d.webhook_id, d.event_id, d.attempt, w.url, w.secret, w.previous_secret,
        w.previous_secret_expire_time, e.body
    `.execute(this.db);
    return rows
      .map((r) => ({
        id: r.id,
        seq: String(r.seq),
        webhookId: r.webhook_id,
        eventId: r.event_id,
        attempt: r.attempt,
        url: r.url,
        secret: r.secret,
        previousSecret: r.previous_secret,
        previousSecretExpireTime: r.previous_secret_expire_time,
        body: r.body,
      }))
      .sort((a, b) => Number(a.seq) - Number(b.seq));
  }

  /** Records one attempt and lets go of the lease. */
  async record(id: string, result: AttemptResult): Promise<void> {
    await this.db
      .updateTable("webhook_deliveries")
      .set({
        state: result.state,
        attempt: sql`attempt + 1`,
        status_code: result.statusCode,
        error: result.error,
        time: result.time,
        next_attempt_time: result.nextAttemptTime,
        lease_until: null,
      })
      .where("id", "=", id)
      .execute();
  }

  /** Disables an endpoint that answered 410, and fails what was still queued for it. */
  async disableWebhook(webhookId: string, reason: string, now: Date): Promise<void> {
    await this.db
      .updateTable("webhooks")
      .set({ disabled: true, disabled_reason: reason, update_time: now })
      .where("id", "=", webhookId)
      .execute();
    await this.db
      .updateTable("webhook_deliveries")
      .set({ state: "failed", error: "endpoint disabled", next_attempt_time: null, lease_until: null })
      .where("webhook_id", "=", webhookId)
      .where("state", "=", "pending")
      .execute();
  }

  /** Frees every lease: only for a store no other process can be using (embedded PGlite at start). */
  async releaseLeases(): Promise<void> {
    await this.db
      .updateTable("webhook_deliveries")
      .set({ lease_until: null })
      .where("state", "=", "pending")
      .execute();
  }

  /** When the next pending delivery falls due, if any is waiting. */
  async nextDue(): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom("webhook_deliveries")
      .select(sql<Date | null>`min(next_attempt_time)`.as("next"))
      .where("state", "=", "pending")
      .executeTakeFirst();
    return row?.next ? new Date(row.next) : undefined;
  }

  /** Pending deliveries and the queueing time of the oldest. */
  async backlog(): Promise<{ pending: number; oldest: Date | null }> {
    const row = await this.db
      .selectFrom("webhook_deliveries")
      .select([sql<number>`count(*)::int`.as("n"), sql<Date | null>`min(create_time)`.as("oldest")])
      .where("state", "=", "pending")
      .executeTakeFirstOrThrow();
    return { pending: row.n, oldest: row.oldest ? new Date(row.oldest) : null };
  }

  /** One endpoint's deliveries, newest first, before the sequence number `beforeSeq`. */
  async list(webhookId: string, beforeSeq: string | undefined, limit: number): Promise<DeliveryRow[]> {
    let q = this.db.selectFrom("webhook_deliveries").selectAll().where("webhook_id", "=", webhookId);
    if (beforeSeq) q = q.where("seq", "<", beforeSeq);
    return q.orderBy("seq", "desc").limit(limit).execute();
  }

  async findById(id: string): Promise<DeliveryRow | undefined> {
    return this.db.selectFrom("webhook_deliveries").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Queues the delivery's event for its endpoint again, as a new delivery (the history stays). */
  async requeue(from: DeliveryRow, id: string, now: Date): Promise<DeliveryRow> {
    return this.db
      .insertInto("webhook_deliveries")
      .values({
        id,
        webhook_id: from.webhook_id,
        event_id: from.event_id,
        event_type: from.event_type,
        state: "pending",
        time: now,
        create_time: now,
        next_attempt_time: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }
}
