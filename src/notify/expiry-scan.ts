import type { Tx } from "../store/transaction.js";
import { keyEvent } from "../webhooks/key-events.js";
import { dueNotice } from "./expiry-plan.js";

/** How far back an expiry still earns `key.expired`: keys that expired long before Keyward looked are not news. */
const EXPIRED_LOOKBACK_MS = 7 * 86_400_000;
/** Keys handled per scan; the rest wait for the next one. */
const BATCH = 1000;

/**
 * Publishes the `key.expiring` and `key.expired` events now due, each once per key, threshold and expiry
 * time: the mark and the event are written in the caller's transaction, so they commit together.
 */
export async function scanExpiries(tx: Tx, now: Date, thresholdsMs: readonly number[]): Promise<number> {
  const ahead = Math.max(0, ...thresholdsMs);
  const keys = await tx.notices.expiryCandidates(now, ahead, EXPIRED_LOOKBACK_MS, BATCH);
  let published = 0;
  for (const key of keys) {
    if (!key.expireTime) continue;
    const due = dueNotice(key.expireTime.getTime(), now.getTime(), thresholdsMs);
    if (!due || !(await tx.notices.markNotice(key.id, due.notice, key.expireTime, now))) continue;
    const extra = due.type === "key.expiring" ? { days_left: due.daysLeft } : {};
    await tx.events.publish(keyEvent(due.type, key, extra), now);
    published++;
  }
  return published;
}
