import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Webhook,
  type WebhookDelivery,
  WebhookDeliverySchema,
  WebhookSchema,
} from "../gen/keyward/admin/v1/webhook_pb.js";
import type { DeliveryRow, WebhookRow } from "../store/schema/webhooks.js";

/** The API resource for a stored endpoint. Never carries a secret. */
export function webhookResource(w: WebhookRow): Webhook {
  return create(WebhookSchema, {
    id: w.id,
    companyId: w.company_id,
    url: w.url,
    eventTypes: w.event_types,
    description: w.description,
    disabled: w.disabled,
    disabledReason: w.disabled_reason ?? "",
    createTime: timestampFromDate(w.create_time),
    updateTime: timestampFromDate(w.update_time),
  });
}

/** The API resource for a delivery and its latest attempt. */
export function deliveryResource(d: DeliveryRow): WebhookDelivery {
  return create(WebhookDeliverySchema, {
    id: d.id,
    webhookId: d.webhook_id,
    eventId: d.event_id,
    eventType: d.event_type,
    attempt: d.attempt,
    statusCode: d.status_code ?? 0,
    error: d.error ?? "",
    time: timestampFromDate(new Date(d.time)),
    nextAttemptTime: d.next_attempt_time ? timestampFromDate(new Date(d.next_attempt_time)) : undefined,
    state: d.state,
  });
}

/** What the audit log records of an endpoint: its settings, never its secret. */
export function webhookAuditView(w: WebhookRow): Record<string, unknown> {
  return {
    webhook_id: w.id,
    url: w.url,
    event_types: w.event_types,
    description: w.description,
    disabled: w.disabled,
  };
}
