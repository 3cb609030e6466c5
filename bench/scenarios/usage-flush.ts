import type { FlushCost } from "../flush-cost.js";
import { ms } from "../report.js";
import type { Scenario } from "../scenario.js";

/**
 * Active keys per flush, and flushes timed: one key, a hundred, and a full buffer (three buckets a key, 99,000
 * in all, just under the recorder's 100,000), which only a flood or an outage's backlog makes.
 */
const CASES = [
  { keys: 1, flushes: 40 },
  { keys: 100, flushes: 40 },
  { keys: 33_000, flushes: 3 },
];

/** What the once-a-second usage flush costs the thread that answers Checks. */
export const usageFlush: Scenario = {
  id: "usage-flush",
  title: "usage flush: the Check thread's share, in process",
  async run(ctx) {
    const { keywardServer } = await ctx.checkTargets();
    const costs: FlushCost[] = [];
    for (const c of CASES) costs.push(await keywardServer.call<FlushCost>("flushCost", c, 300_000));
    return {
      title: this.title,
      params: [
        ["flushes", "40 a row (3 for the full buffer), 50 ms apart, the first eighth not counted; medians"],
      ],
      columns: ["keys with traffic", "Check thread busy ms", "flush round trip ms"],
      rows: costs.map((c) => [c.keys.toLocaleString("en-US"), ms(c.busyMs), ms(c.wallMs)]),
      notes: [
        "busy: the event loop's active time while the flush ran, which Checks arriving meanwhile wait out; the round trip includes the database's own work",
      ],
      problems: [],
    };
  },
};
