import type { Violations } from "../keys/validation.js";
import { checkTargetUrl } from "../webhooks/address-rules.js";
import { isEventType } from "../webhooks/event-types.js";

const MAX_DESCRIPTION = 512;

/** Checks an endpoint URL against the target rules (https, public address). */
export function checkWebhookUrl(v: Violations, field: string, url: string, allowInsecure: boolean): void {
  if (!url) {
    v.add(field, "is required");
    return;
  }
  const verdict = checkTargetUrl(url, allowInsecure);
  if (!verdict.ok) v.add(field, verdict.reason);
}

/** Every entry must be a known event type, each at most once. */
export function checkEventTypes(v: Violations, field: string, types: readonly string[]): void {
  types.forEach((t, i) => {
    if (!isEventType(t)) v.add(`${field}[${i}]`, `"${t.slice(0, 64)}" is not an event type`);
  });
  if (new Set(types).size !== types.length) v.add(field, "must not repeat a type");
}

export function checkDescription(v: Violations, field: string, text: string): void {
  if ([...text].length > MAX_DESCRIPTION) v.add(field, `must be at most ${MAX_DESCRIPTION} characters`);
}
