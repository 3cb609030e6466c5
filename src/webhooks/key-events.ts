import type { KeyRecord } from "../keys/key-record.js";
import type { EventType, KeyEventData, KeyLeakedData, OutboxEvent } from "./event-types.js";

/** The thin picture of a key every key event carries. */
export function keyEventData(key: KeyRecord): KeyEventData {
  return {
    key_id: key.id,
    company_id: key.companyId,
    name: key.name,
    kind: key.kind,
    environment: key.environment,
    status: key.status,
    expire_time: key.expireTime?.toISOString() ?? null,
  };
}

/** The companies an event about `key` reaches: its own and, for an integration key, each it acts for. */
export function keyCompanies(key: KeyRecord): string[] {
  return key.kind === "integration" ? [key.companyId, ...key.companyIds] : [key.companyId];
}

/** An event about `key`, with `extra` fields beside the usual ones. */
export function keyEvent(type: EventType, key: KeyRecord, extra: Record<string, unknown> = {}): OutboxEvent {
  return { type, companyIds: keyCompanies(key), data: { ...keyEventData(key), ...extra } };
}

/** `key.leaked` for `key`, found at `location` by `source`. */
export function keyLeakedEvent(
  key: KeyRecord,
  leak: Pick<KeyLeakedData, "source" | "location" | "action">,
): OutboxEvent {
  return keyEvent("key.leaked", key, { ...leak });
}

/** The event a key admin action publishes (audit action → event type), if it publishes one. */
export function eventTypeOfAction(action: string): EventType | undefined {
  return ACTION_EVENTS[action];
}

const ACTION_EVENTS: Record<string, EventType> = {
  "key.create": "key.created",
  "key.update": "key.updated",
  "key.rotate": "key.rotated",
  "key.suspend": "key.suspended",
  "key.resume": "key.resumed",
  "key.revoke": "key.revoked",
  "key.detach_company": "key.updated",
};
