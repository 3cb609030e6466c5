import type { Scenario } from "../scenario.js";
import type { StepCost } from "../step-costs.js";

/** Each step of a cached Check timed inside Keyward's process, and a full protobuf-es decode beside them. */
export const stepCosts: Scenario = {
  id: "step-costs",
  title: "cost of each step of a cached Check, in process (no RPC)",
  async run(ctx) {
    const { keywardServer } = await ctx.checkTargets();
    const costs = await keywardServer.call<StepCost[]>("stepCosts", null, 120_000);
    return {
      title: this.title,
      params: [["calls", "200,000 per step after 20,000 to warm up"]],
      columns: ["step", "µs per call"],
      rows: costs.map((c) => [c.step, (c.ns / 1000).toFixed(2)]),
      notes: [
        "readCheckRequest and requestFacts are parts of the whole Check; the protobuf-es decode is not on its path",
      ],
      problems: [],
    };
  },
};
