import { describe, expect, it } from "vitest";
import { isUsageSpike, newSourceAlerts, SOURCE_MEMORY_MS } from "../../src/notify/alert-rules.js";
import { dueNotice } from "../../src/notify/expiry-plan.js";

const H = 3_600_000;
const D = 24 * H;
const thresholds = [7 * D, 1 * D];

describe("expiry notices", () => {
  it("nothing before the widest threshold; then the nearest threshold inside; then expired", () => {
    expect(dueNotice(10 * D, 0, thresholds)).toBeUndefined();
    expect(dueNotice(7 * D, 0, thresholds)).toEqual({
      type: "key.expiring",
      notice: `expiring:${7 * D}`,
      daysLeft: 7,
    });
    expect(dueNotice(3 * D + H, 0, thresholds)).toMatchObject({ notice: `expiring:${7 * D}`, daysLeft: 4 });
    expect(dueNotice(12 * H, 0, thresholds)).toEqual({
      type: "key.expiring",
      notice: `expiring:${D}`,
      daysLeft: 1,
    });
    expect(dueNotice(0, 0, thresholds)).toEqual({ type: "key.expired", notice: "expired" });
    expect(dueNotice(-D, 0, [D, 7 * D])).toEqual({ type: "key.expired", notice: "expired" });
  });
});

describe("alert rules", () => {
  it("a spike is past the minimum and the factor times the usual 5 minutes of the previous day", () => {
    // 288 five-minute windows a day: 2880 requests a day is 10 per window.
    expect(isUsageSpike(99, 2880, 10, 50)).toBe(false);
    expect(isUsageSpike(100, 2880, 10, 50)).toBe(true);
    expect(isUsageSpike(49, 0, 10, 50)).toBe(false);
    expect(isUsageSpike(50, 0, 10, 50)).toBe(true);
  });

  it("a new address alerts only when the key has another one in the last 30 days, once per batch", () => {
    const now = 100 * D;
    const known = [
      { keyId: "a", ip: "1.1.1.1", lastTime: now - D },
      { keyId: "b", ip: "2.2.2.2", lastTime: now - SOURCE_MEMORY_MS - 1 },
      { keyId: "c", ip: "3.3.3.3", lastTime: now - SOURCE_MEMORY_MS - 1 },
      { keyId: "c", ip: "4.4.4.4", lastTime: now - H },
    ];
    const sightings = [
      { keyId: "a", ip: "1.1.1.1" },
      { keyId: "a", ip: "9.9.9.9" },
      { keyId: "a", ip: "9.9.9.9" },
      { keyId: "b", ip: "8.8.8.8" },
      { keyId: "c", ip: "3.3.3.3" },
      { keyId: "new", ip: "5.5.5.5" },
      { keyId: "new", ip: "6.6.6.6" },
    ];
    expect(newSourceAlerts(sightings, known, now)).toEqual([
      { keyId: "a", ip: "9.9.9.9" },
      { keyId: "c", ip: "3.3.3.3" },
    ]);
  });
});
