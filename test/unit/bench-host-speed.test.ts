import { describe, expect, it } from "vitest";
import {
  hostSpeed,
  parseCpuTimes,
  referenceMs,
  referenceMsAlone,
  stolenShare,
} from "../../bench/host-speed.js";

const STAT_BEFORE = `cpu  283070 532 59067 2448585 2448 0 14682 64691 0 0
cpu0 141535 266 29533 1224292 1224 0 7341 32345 0 0
intr 1 2 3
`;
const STAT_AFTER = "cpu  283982 532 59231 2449431 2456 0 14773 64915 0 0\n";

describe("the bench's reading of the host's speed", () => {
  it("reads the machine's total and stolen ticks from the aggregate line of /proc/stat", () => {
    expect(parseCpuTimes(STAT_BEFORE)).toEqual({
      total: 283070 + 532 + 59067 + 2448585 + 2448 + 0 + 14682 + 64691,
      steal: 64691,
    });
  });

  it("gives the share of time the hypervisor took between two readings", () => {
    const share = stolenShare(parseCpuTimes(STAT_BEFORE), parseCpuTimes(STAT_AFTER));
    // 224 stolen ticks of 2,245 in all.
    expect(share).toBeCloseTo(224 / 2245, 6);
  });

  it("says nothing rather than something wrong when /proc/stat is missing, short or garbled", () => {
    expect(parseCpuTimes("")).toBeNull();
    expect(parseCpuTimes("cpu  1 2 3\n")).toBeNull();
    expect(parseCpuTimes("cpu  1 2 x 4 5 6 7 8\n")).toBeNull();
    expect(stolenShare(null, parseCpuTimes(STAT_AFTER))).toBeNull();
    expect(stolenShare(parseCpuTimes(STAT_AFTER), parseCpuTimes(STAT_AFTER))).toBeNull();
  });

  it("times the reference work, here and in a process of its own, and reports it in one line", () => {
    expect(referenceMs()).toBeGreaterThan(0);
    expect(referenceMsAlone()).toBeGreaterThan(0);
    expect(hostSpeed("now")).toMatch(/^host speed now: reference loop \d+\.\d ms$/);
  });

  it("adds the stolen share since an earlier reading, read from this machine's /proc/stat", () => {
    const line = hostSpeed("at the end", { total: 0, steal: 0 });
    expect(line).toMatch(
      /^host speed at the end: reference loop \d+\.\d ms; \d+\.\d% of CPU time stolen by the host since the start( \(busy host: figures are noisy\))?$/,
    );
  });
});
