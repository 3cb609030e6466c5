import { sql } from "kysely";
import { randomBase62 } from "../keys/base62.js";
import type { Executor } from "./executor.js";

/** An event to publish: its type, the companies whose endpoints receive it, and its data. */
export interface OutboxEvent {
  type: string;
  companyIds: readonly string[];
  data: Record<string, unknown>;
}

/** A new event id (the `webhook-id` header): unguessable, and the same on every attempt. */
export function newEventId(): string {
  return `msg_${randomBase62(22)}`;
}

/** The delivery body: `{"type", "timestamp", "data"}`, exactly as it is signed and sent. */
export function eventBody(event: OutboxEvent, time: Date): string {
  return JSON.stringify({ type: event.type, timestamp: time.toISOString(), data: event.data });
}

/** Writes events into the outbox, inside the caller's transaction. */
export class OutboxRepository {
  constructor(
    private readonly db: Executor,
    private readonly published: () => void = () => {},
  ) {}

  /**
   * Publishes `event` beside the change that causes it: the event exists if and only if the transaction
   * commits. One statement stores it and queues one delivery per endpoint that wants it (enabled, of one of
   * its companies or platform-wide, subscribed to its type); with no endpoint interested nothing is stored.
   */
  async publish(event: OutboxEvent, time: Date): Promise<void> {
    const companies = sql`${[...new Set(event.companyIds)]}::text[]`;
    const result = await sql`
      with targets as (
        select id from webhooks
        where not disabled
          and (company_id = '' or company_id = any(${companies}))
          and (cardinality(event_types) = 0 or ${event.type} = any(event_types))
      ), stored as (
        insert into webhook_events (id, type, company_ids, body, create_time)
        select ${newEventId()}, ${event.type}, ${companies}, ${eventBody(event, time)}, ${time}
        where exists (select 1 from targets)
        returning id
      )
      insert into webhook_deliveries (id, webhook_id, event_id, event_type, state, time, create_time, next_attempt_time)
      select 'whd_' || replace(gen_random_uuid()::text, '-', ''), targets.id, stored.id, ${event.type}, 'pending',
        ${time}, ${time}, ${time}
      from targets, stored
    `.execute(this.db);
    // No endpoint wanted it: nothing to wake a worker for.
    if (result.numAffectedRows === undefined || result.numAffectedRows > 0n) this.published();
  }
}
