import type { Executor } from "../store/database.js";
import type { NoticeRepository } from "../store/notice-repository.js";
import { keyEvent } from "../webhooks/key-events.js";
import { publishEvent } from "../webhooks/outbox.js";
import { dueNotice } from "./expiry-plan.js";

/** How far back an expiry still earns `key.expired`: keys that expired long before Keyward looked are not news. */
const EXPIRED_LOOKBACK_MS = 7 * 86_400_000;
/** Keys handled per scan; the rest wait for the next one. */
const BATCH = 1000;

/**
 * Publishes the `key.expiring` and `key.expired` events now due, each once per key, threshold and expiry
 * time: the mark and the event are written in the caller's transaction, so they commit together.
 */
export async function scanExpiries(
  trx: Executor,
  notices: NoticeRepository,
  now: Date,
  thresholdsMs: readonly number[],
): Promise<number> {
  const ahead = Math.max(0, ...thresholdsMs);
  const keys = await notices.expiryCandidates(now, ahead, EXPIRED_LOOKBACK_MS, BATCH);
  let published = 0;
  for (const key of keys) {
    if (!key.expireTime) continue;
    const due = dueNotice(key.expireTime.getTime(), now.getTime(), thresholdsMs);
    if (!due || !(await notices.markNotice(key.id, due.notice, key.expireTime, now))) continue;
    const extra = due.type === "key.expiring" ? { days_left: due.daysLeft } : {};
    await publishEvent(trx, keyEvent(due.type, key, extra), now);
    published++;
  }
  return published;
}
