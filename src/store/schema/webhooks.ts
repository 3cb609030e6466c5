import type { ColumnType, Generated, Selectable } from "kysely";

/** `webhooks`: endpoints that receive events, with their signing secrets. */
export interface WebhooksTable {
  id: string;
  /** Empty for a platform-wide endpoint. */
  company_id: string;
  url: string;
  event_types: string[];
  description: string;
  disabled: boolean;
  disabled_reason: string | null;
  secret: string;
  /** The secret before the last rotation, still signing until `previous_secret_expire_time`. */
  previous_secret: string | null;
  previous_secret_expire_time: Date | null;
  create_time: Date;
  update_time: Date;
}

/** `webhook_events`: the outbox, one row per event, written in the transaction of the change behind it. */
export interface WebhookEventsTable {
  id: string;
  type: string;
  /** The companies whose endpoints receive the event. */
  company_ids: string[];
  /** The exact body every delivery sends (and signs). */
  body: string;
  create_time: Date;
}

/** `webhook_deliveries`: one event for one endpoint, its attempts so far and its lease. */
export interface WebhookDeliveriesTable {
  id: string;
  seq: Generated<string>;
  webhook_id: string;
  event_id: string;
  event_type: string;
  state: string;
  attempt: ColumnType<number, number | undefined, number>;
  status_code: number | null;
  error: string | null;
  /** When the latest attempt was made (the queueing time before any). */
  time: Date;
  create_time: Date;
  next_attempt_time: Date | null;
  /** Until when one replica holds the delivery; nobody else attempts it before then. */
  lease_until: Date | null;
}

/** `key_notices`: scheduled notices already published (one per key, kind and expiry). */
export interface KeyNoticesTable {
  key_id: string;
  notice: string;
  expire_time: Date;
  create_time: Date;
}

/** `key_alerts`: when each alert last fired for a key and cause, for the once-an-hour rule. */
export interface KeyAlertsTable {
  key_id: string;
  cause: string;
  last_time: Date;
}

/** `key_source_ips`: addresses each key was used from, and when last. */
export interface KeySourceIpsTable {
  key_id: string;
  source_ip: string;
  last_time: Date;
}

export type WebhookRow = Selectable<WebhooksTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
