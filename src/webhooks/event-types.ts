/** Every event type an endpoint may subscribe to. */
export const EVENT_TYPES = [
  "key.created",
  "key.updated",
  "key.rotated",
  "key.suspended",
  "key.resumed",
  "key.revoked",
  "key.expiring",
  "key.expired",
  "key.leaked",
  "alert.new_source_ip",
  "alert.denials",
  "alert.usage_spike",
] as const;

/** One of EVENT_TYPES. */
export type EventType = (typeof EVENT_TYPES)[number];

/** Whether `type` names an event Keyward sends. */
export function isEventType(type: string): type is EventType {
  return (EVENT_TYPES as readonly string[]).includes(type);
}

/** What every key event says about its key: ids, company, names and times, never a secret or a hash. */
export interface KeyEventData {
  key_id: string;
  company_id: string;
  name: string;
  kind: string;
  environment: string;
  status: string;
  expire_time: string | null;
  [extra: string]: unknown;
}

/** `key.expiring`: the key expires at `expire_time`, `days_left` days from the warning. */
export interface KeyExpiringData extends KeyEventData {
  days_left: number;
}

/** `key.leaked`: where a scanner found the key, and what Keyward did about it. */
export interface KeyLeakedData extends KeyEventData {
  /** Who reported it: "github", "gitlab" or "self" (POST /leaks/revoke). */
  source: string;
  /** Where it was found, when the reporter says (a URL). */
  location: string | null;
  /** "revoked" or "flagged" (KEYWARD_LEAK_POLICY=notify). */
  action: "revoked" | "flagged";
}

/** An event to publish: its type, the companies whose endpoints receive it, and its data. */
export interface OutboxEvent {
  type: EventType;
  companyIds: readonly string[];
  data: Record<string, unknown>;
}
