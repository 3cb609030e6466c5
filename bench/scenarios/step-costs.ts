import type { Scenario } from "../scenario.js";
import { IDLE_MS, type StepCosts } from "../step-costs.js";

/** Each step of a cached Check timed inside Keyward's process, and a full protobuf-es decode beside them. */
export const stepCosts: Scenario = {
  id: "step-costs",
  title: "cost of each step of a cached Check, in process (no RPC)",
  async run(ctx) {
    const { keywardServer } = await ctx.checkTargets();
    const { costs, wholeChecks, uncached, uncachedTimed } = await keywardServer.call<StepCosts>(
      "stepCosts",
      null,
      120_000,
    );
    const lookups = `${uncached} of ${wholeChecks.toLocaleString("en-US")} whole-Check calls went to the store`;
    return {
      title: this.title,
      params: [
        ["calls", "200,000 per step in batches of 10,000, after 20,000 to warm up"],
        ["after idle", `the median of 200 lone calls, each after ${IDLE_MS} ms idle`],
      ],
      columns: ["step", "µs per call", `µs after ${IDLE_MS} ms idle`, "idle / loop"],
      rows: costs.map((c) => [
        c.step,
        (c.ns / 1000).toFixed(2),
        (c.idleNs / 1000).toFixed(2),
        `${(c.idleNs / c.ns).toFixed(1)}x`,
      ]),
      notes: [
        "readCheckRequest and requestFacts are parts of the whole Check; the protobuf-es decode is not on its path",
        uncached > 0
          ? `${lookups}: the key's cache entry expired during the run, and the batches they fell in were timed again once it was back`
          : `${lookups}: every one was answered from the key cache`,
        "a lone call after an idle spell finds its code and data out of the CPU's caches: that, not the loop figure, is what each request costs a lightly loaded sidecar; the reference pass shows how much sitting idle slows any code on this machine",
      ],
      // A batch that went to the store is timed again; one that kept doing so past its retries is in the row.
      problems:
        uncachedTimed > 0
          ? [
              `${uncachedTimed} calls that went to the store stayed in the timed figures: the whole-Check row is not the cached Check's cost`,
            ]
          : [],
    };
  },
};
