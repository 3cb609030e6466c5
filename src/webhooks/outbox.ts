import { randomBase62 } from "../keys/base62.js";
import type { Executor } from "../store/database.js";
import { OutboxRepository } from "../store/outbox-repository.js";
import type { OutboxEvent } from "./event-types.js";

/** A new event id (the `webhook-id` header): unguessable, and the same on every attempt. */
export function newEventId(): string {
  return `msg_${randomBase62(22)}`;
}

/** The delivery body: `{"type", "timestamp", "data"}`, exactly as it is signed and sent. */
export function eventBody(event: OutboxEvent, time: Date): string {
  return JSON.stringify({ type: event.type, timestamp: time.toISOString(), data: event.data });
}

/**
 * Publishes `event` through the outbox, inside the transaction `trx` that makes the change behind it: the
 * event exists if and only if the change commits. Delivery starts after the commit.
 */
export async function publishEvent(trx: Executor, event: OutboxEvent, time: Date): Promise<void> {
  await new OutboxRepository(trx).publish({
    id: newEventId(),
    type: event.type,
    companyIds: [...new Set(event.companyIds)],
    body: eventBody(event, time),
    time,
  });
}
