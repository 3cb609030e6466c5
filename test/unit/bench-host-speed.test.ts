import { describe, expect, it } from "vitest";
import {
  cpuTimes,
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

  it("adds the share stolen since an earlier reading of this machine's /proc/stat, and calls a host busy past 5%", () => {
    const now = cpuTimes();
    if (!now) throw new Error("this test needs /proc/stat");
    // A reading a million ticks ago with no steal since: about 0%, not busy.
    const quiet = hostSpeed("at the end", { total: now.total - 1_000_000, steal: now.steal });
    expect(quiet).toMatch(
      /^host speed at the end: reference loop \d+\.\d ms; 0\.\d% of CPU time stolen by the host since the start$/,
    );
    // A reading 100,000 ticks ago, every one of them stolen (the probe's second adds a few hundred): busy.
    const stolen = hostSpeed("at the end", { total: now.total - 100_000, steal: now.steal - 100_000 });
    expect(stolen).toMatch(
      /; (9\d|100)\.\d% of CPU time stolen by the host since the start \(busy host: figures are noisy\)$/,
    );
  });
});
