import type { FlushCost } from "../flush-cost.js";
import { ms } from "../report.js";
import type { Scenario } from "../scenario.js";

/** Active keys per flush measured: one, and a hundred. */
const KEY_COUNTS = [1, 100];

/** What the once-a-second usage flush costs the thread that answers Checks. */
export const usageFlush: Scenario = {
  id: "usage-flush",
  title: "usage flush: the Check thread's share, in process",
  async run(ctx) {
    const { keywardServer } = await ctx.checkTargets();
    const costs: FlushCost[] = [];
    for (const keys of KEY_COUNTS)
      costs.push(await keywardServer.call<FlushCost>("flushCost", { keys }, 120_000));
    return {
      title: this.title,
      params: [["flushes", "40 per row, 50 ms apart, the first 5 not counted; medians"]],
      columns: ["keys with traffic", "Check thread busy ms", "flush round trip ms"],
      rows: costs.map((c) => [String(c.keys), ms(c.busyMs), ms(c.wallMs)]),
      notes: [
        "busy: the event loop's active time while the flush ran, which Checks arriving meanwhile wait out; the round trip includes the database's own work",
      ],
      problems: [],
    };
  },
};
