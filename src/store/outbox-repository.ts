import { sql } from "kysely";
import type { Executor } from "./database.js";

/** An event ready for the outbox: its id (the `webhook-id`), type, audience and the exact body to send. */
export interface OutboxRow {
  id: string;
  type: string;
  companyIds: readonly string[];
  body: string;
  time: Date;
}

/** Writes events into the outbox, inside the caller's transaction. */
export class OutboxRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Stores the event and queues one delivery per endpoint that wants it (enabled, of one of its companies or
   * platform-wide, subscribed to its type), in one statement. With no endpoint interested nothing is stored.
   */
  async publish(event: OutboxRow): Promise<void> {
    const companies = sql`${[...event.companyIds]}::text[]`;
    await sql`
      with targets as (
        select id from webhooks
        where not disabled
          and (company_id = '' or company_id = any(${companies}))
          and (cardinality(event_types) = 0 or ${event.type} = any(event_types))
      ), stored as (
        insert into webhook_events (id, type, company_ids, body, create_time)
        select ${event.id}, ${event.type}, ${companies}, ${event.body}, ${event.time}
        where exists (select 1 from targets)
        returning id
      )
      insert into webhook_deliveries (id, webhook_id, event_id, event_type, state, time, create_time, next_attempt_time)
      select 'whd_' || replace(gen_random_uuid()::text, '-', ''), targets.id, stored.id, ${event.type}, 'pending',
        ${event.time}, ${event.time}, ${event.time}
      from targets, stored
    `.execute(this.db);
  }
}
