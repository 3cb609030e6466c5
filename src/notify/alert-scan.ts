import type { NotifyConfig } from "../config.js";
import type { Tx } from "../store/transaction.js";
import type { EventType } from "../webhooks/event-types.js";
import { keyEvent } from "../webhooks/key-events.js";
import { ALERT_QUIET_MS, ALERT_WINDOW_MS, isUsageSpike, newSourceAlerts } from "./alert-rules.js";

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Judges the traffic every replica has already aggregated per minute (the Check path does no extra work) and
 * publishes the alerts due: denials past the threshold and usage spikes (each at most once an hour per key),
 * and addresses a key has not used in 30 days (once per key and address).
 */
export async function scanAlerts(tx: Tx, now: Date, config: NotifyConfig): Promise<number> {
  const t = now.getTime();
  // The minutes that make up the last five, the current (still filling) one included.
  const since = new Date(t - (t % MINUTE) - ALERT_WINDOW_MS + MINUTE);
  const until = new Date(t + MINUTE);
  const notices = tx.notices;
  let published = 0;
  const fire = async (type: EventType, keyId: string, cause: string, data: Record<string, unknown>) => {
    if (!(await notices.claimAlert(keyId, cause, now, ALERT_QUIET_MS))) return;
    const key = await tx.keys.findById(keyId);
    if (!key) return;
    await tx.events.publish(keyEvent(type, key, { ...data, window_seconds: ALERT_WINDOW_MS / 1000 }), now);
    published++;
  };

  for (const d of await notices.busyKeys("denied_count", since, until, config.alertDenials)) {
    await fire("alert.denials", d.keyId, "denials", { denied: d.count, threshold: config.alertDenials });
  }
  const busy = await notices.busyKeys("request_count", since, until, config.spikeMinimum);
  if (busy.length > 0) {
    const prior = new Map(
      (await notices.busyKeys("request_count", new Date(since.getTime() - DAY), since, 0)).map((p) => [
        p.keyId,
        p.count,
      ]),
    );
    for (const b of busy) {
      const usual = prior.get(b.keyId) ?? 0;
      if (!isUsageSpike(b.count, usual, config.spikeFactor, config.spikeMinimum)) continue;
      await fire("alert.usage_spike", b.keyId, "usage_spike", {
        requests: b.count,
        previous_day_requests: usual,
      });
    }
  }

  // Sightings overlap from scan to scan (a minute keeps filling after it was first read); remembering an
  // address is idempotent, so looking twice is harmless.
  const sightings = await notices.sightings(new Date(t - config.intervalMs - 2 * MINUTE));
  if (sightings.length > 0) {
    const known = await notices.knownSources([...new Set(sightings.map((s) => s.keyId))]);
    for (const s of newSourceAlerts(sightings, known, t)) {
      await fire("alert.new_source_ip", s.keyId, `new_source_ip:${s.ip}`, { source_ip: s.ip });
    }
    await notices.rememberSources(sightings, now);
  }
  return published;
}
