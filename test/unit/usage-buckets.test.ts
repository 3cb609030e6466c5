import { describe, expect, it } from "vitest";
import {
  bucketCount,
  chooseGranularity,
  fillBuckets,
  seriesShape,
} from "../../src/admin/console/usage-buckets.js";
import { Violations } from "../../src/keys/validation.js";

const H = 3_600_000;

describe("usage buckets", () => {
  it("chooses minutes up to 6 hours and hours beyond, unless asked", () => {
    expect(chooseGranularity("", 6 * H)).toBe("minute");
    expect(chooseGranularity("", 6 * H + 1)).toBe("hour");
    expect(chooseGranularity("minute", 24 * H)).toBe("minute");
    expect(chooseGranularity("day", H)).toBe("invalid");
  });

  it("fills the empty buckets of a window with zeros, aligned on the width", () => {
    const start = 10 * H + 1234;
    const filled = fillBuckets([{ start: new Date(11 * H), allowed: 5, denied: 1 }], start, 13 * H, H);
    expect(filled.map((b) => [b.start.getTime() / H, b.allowed, b.denied])).toEqual([
      [10, 0, 0],
      [11, 5, 1],
      [12, 0, 0],
    ]);
    expect(bucketCount(start, 13 * H, H)).toBe(3);
  });

  it("refuses a granularity it does not know and a series too long", () => {
    const v = new Violations();
    expect(seriesShape(v, "week", new Date(0), new Date(H))).toBeUndefined();
    expect(seriesShape(v, "minute", new Date(0), new Date(48 * H))).toBeUndefined();
    expect(v.list.map((x) => x.field)).toEqual(["granularity", "granularity"]);
    expect(seriesShape(new Violations(), "", new Date(0), new Date(24 * H))).toEqual({
      granularity: "hour",
      widthMs: H,
    });
  });
});
