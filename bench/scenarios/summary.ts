import type { Measurement } from "../measure.js";
import { ms, rate, ratio, spread } from "../report.js";
import type { Scenario } from "../scenario.js";
import { FORWARD_AUTH, type ForwardAuthFigures } from "./forward-auth.js";
import { MAX_THROUGHPUT, type MaxThroughput } from "./max-throughput.js";
import { type LoadPoint, OFFERED_LOAD, resolution } from "./offered-load.js";

/** One summary row: Keyward beside one baseline at one load. */
function row(load: string, base: Measurement, keyward: Measurement): string[] {
  return [
    load,
    base.target,
    rate(base.reqPerSec),
    rate(keyward.reqPerSec),
    ratio(keyward.reqPerSec, base.reqPerSec),
    ms(base.latency?.p50),
    ms(keyward.latency?.p50),
    ms(base.latency?.p99),
    ms(keyward.latency?.p99),
    ratio(keyward.latency?.p99, base.latency?.p99),
    base.latency && keyward.latency ? (keyward.latency.p99 - base.latency.p99).toFixed(2) : "-",
  ];
}

/** The headline figures of the Check scenarios side by side. */
export const summary: Scenario = {
  id: "summary",
  title: "summary: Keyward Check vs the baselines, and forward auth beside Check",
  async run(ctx) {
    const max = ctx.results.get(MAX_THROUGHPUT) as MaxThroughput | undefined;
    const points = (ctx.results.get(OFFERED_LOAD) as LoadPoint[] | undefined) ?? [];
    const forward = ctx.results.get(FORWARD_AUTH) as ForwardAuthFigures | undefined;
    const rows: string[][] = [];
    if (max) {
      for (const base of [max.bare, max.transport, max.null, max.nullDecode])
        rows.push(row("max throughput", base, max.keyward));
    }
    for (const p of points) {
      for (const base of [p.bare, p.transport, p.null])
        rows.push(row(`offered ${rate(p.offered)} req/s (${p.label})`, base, p.keyward));
    }
    if (forward) rows.push(row("forward auth, HTTP/1.1 keep-alive", forward.check, forward.forward));
    const cpu = max
      ? [
          `cpu per Check at max throughput: keyward ${max.keyward.cpuUsPerRequest.toFixed(1)} µs, bare ${max.bare.cpuUsPerRequest.toFixed(1)} µs, null ${max.null.cpuUsPerRequest.toFixed(1)} µs (server process only, user + system)`,
          `keyward/bare at max throughput, round by round (median, range): throughput ${spread(max.paired.throughput)}, cpu per Check ${spread(max.paired.cpu)}; transport/bare ${spread(max.paired.transport)}, keyward/transport ${spread(max.paired.check)}`,
        ]
      : [];
    return {
      title: this.title,
      params: [],
      columns: [
        "load",
        "baseline",
        "base req/s",
        "keyward req/s",
        "k/b req/s",
        "base p50 ms",
        "keyward p50 ms",
        "base p99 ms",
        "keyward p99 ms",
        "k/b p99",
        "k-b p99 ms",
      ],
      rows,
      notes: [
        ...cpu,
        ...points.map((p) => `offered ${rate(p.offered)} req/s (${p.label}): ${resolution(p)}`),
        ...(forward
          ? [
              `forward auth row: the baseline is Keyward's own gRPC Check, the keyward columns its /authz/forward over HTTP/1.1 keep-alive (${rate(forward.forward.reqPerSec)} req/s, cpu ${forward.forward.cpuUsPerRequest.toFixed(1)} µs per request; Check ${forward.check.cpuUsPerRequest.toFixed(1)} µs)`,
            ]
          : []),
        "bare: node:http2 answering an empty CheckResponse, no gRPC library (the floor of node:http2); transport: Keyward's own listener answering a constant allow of Keyward's size instead of checking (the floor of its transport); null: grpc-js answering a constant allow without decoding the request; null-decode: the same after a full protobuf-es decode, as a service on Envoy's generated types does",
      ],
      problems: [],
    };
  },
};
