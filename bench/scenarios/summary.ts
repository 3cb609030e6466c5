import { ms, rate, ratio } from "../report.js";
import type { Scenario } from "../scenario.js";
import { MAX_THROUGHPUT, type MaxThroughput } from "./max-throughput.js";
import { type LoadPoint, OFFERED_LOAD } from "./offered-load.js";

/** The headline figures of the Check scenarios side by side. */
export const summary: Scenario = {
  id: "summary",
  title: "summary: Keyward Check vs null handler",
  async run(ctx) {
    const max = ctx.results.get(MAX_THROUGHPUT) as MaxThroughput | undefined;
    const points = (ctx.results.get(OFFERED_LOAD) as LoadPoint[] | undefined) ?? [];
    const rows: string[][] = [];
    if (max) {
      for (const [label, nul] of [
        ["max throughput", max.null],
        ["max throughput, null-decode baseline", max.nullDecode],
      ] as const) {
        rows.push([
          label,
          rate(nul.reqPerSec),
          rate(max.keyward.reqPerSec),
          ratio(max.keyward.reqPerSec, nul.reqPerSec),
          ms(nul.latency?.p50),
          ms(max.keyward.latency?.p50),
          ms(nul.latency?.p99),
          ms(max.keyward.latency?.p99),
          ratio(max.keyward.latency?.p99, nul.latency?.p99),
        ]);
      }
    }
    for (const p of points) {
      rows.push([
        `offered ${rate(p.offered)} req/s (${p.label})`,
        rate(p.null.reqPerSec),
        rate(p.keyward.reqPerSec),
        ratio(p.keyward.reqPerSec, p.null.reqPerSec),
        ms(p.null.latency?.p50),
        ms(p.keyward.latency?.p50),
        ms(p.null.latency?.p99),
        ms(p.keyward.latency?.p99),
        ratio(p.keyward.latency?.p99, p.null.latency?.p99),
      ]);
    }
    return {
      title: this.title,
      params: [],
      columns: [
        "load",
        "null req/s",
        "keyward req/s",
        "k/n req/s",
        "null p50 ms",
        "keyward p50 ms",
        "null p99 ms",
        "keyward p99 ms",
        "k/n p99",
      ],
      rows,
      notes: [
        "null answers without decoding the request (the transport's floor); null-decode first decodes it in full with protobuf-es, as a service on Envoy's generated types does; Keyward reads only the fields it needs",
      ],
      problems: [],
    };
  },
};
