import { type Measurement, measure, roundUp, warmUp } from "../measure.js";
import { MEASUREMENT_COLUMNS, measurementRow, rate, ratio } from "../report.js";
import type { Scenario } from "../scenario.js";

/** The servers' flat-out figures, kept for the scenarios that follow. */
export interface MaxThroughput {
  keyward: Measurement;
  null: Measurement;
  nullDecode: Measurement;
  bare: Measurement;
}

export const MAX_THROUGHPUT = "max-throughput";

/**
 * Keyward's Check against the null handlers and the bare node:http2 server, flat out, with the same request
 * count, clients and streams.
 */
export const maxThroughput: Scenario = {
  id: MAX_THROUGHPUT,
  title: "max throughput: Keyward Check vs null handlers and bare node:http2",
  async run(ctx) {
    const { settings } = ctx;
    const targets = await ctx.checkTargets();
    const warm = {
      keyward: await warmUp(ctx, targets.keyward),
      null: await warmUp(ctx, targets.null),
      nullDecode: await warmUp(ctx, targets.nullDecode),
      bare: await warmUp(ctx, targets.bare),
    };
    // The same N for all, sized so the slowest runs about maxRunSec per round (warm-up rates are low
    // estimates, so runs come out shorter, never longer).
    const slower = Math.max(1, Math.min(warm.keyward, warm.null, warm.nullDecode, warm.bare));
    const requests = roundUp(
      Math.min(settings.maxRequests, Math.max(settings.minRequests, slower * settings.maxRunSec)),
      settings.clients,
    );
    const expected = (rps: number) => requests / Math.max(1, rps);
    // Alternating rounds, best kept: other load on the machine comes and goes, and the best round of each is
    // the one it disturbed least.
    const rounds: MaxThroughput[] = [];
    for (let round = 0; round < settings.maxRounds; round++) {
      const n = await measure(ctx, targets.null, { requests, expectedSec: expected(warm.null) });
      const k = await measure(ctx, targets.keyward, { requests, expectedSec: expected(warm.keyward) });
      const d = await measure(ctx, targets.nullDecode, { requests, expectedSec: expected(warm.nullDecode) });
      const b = await measure(ctx, targets.bare, { requests, expectedSec: expected(warm.bare) });
      rounds.push({ null: n, keyward: k, nullDecode: d, bare: b });
    }
    const nul = best(rounds.map((r) => r.null));
    const keyward = best(rounds.map((r) => r.keyward));
    const nullDecode = best(rounds.map((r) => r.nullDecode));
    const bare = best(rounds.map((r) => r.bare));
    ctx.results.set(MAX_THROUGHPUT, { keyward, null: nul, nullDecode, bare } satisfies MaxThroughput);
    return {
      title: this.title,
      params: [
        ["n", String(requests)],
        ["c", String(settings.clients)],
        ["m", String(settings.streams)],
        ["t", String(settings.threads)],
        ["warm-up", `${settings.warmupSec}s each`],
        ["rounds", `${settings.maxRounds} alternating, best kept`],
      ],
      columns: MEASUREMENT_COLUMNS,
      rows: [bare, nul, nullDecode, keyward].map(measurementRow),
      notes: [
        `keyward/bare (a node:http2 server answering an empty CheckResponse, no gRPC library): throughput ${ratio(keyward.reqPerSec, bare.reqPerSec)}, p50 ${ratio(keyward.latency?.p50, bare.latency?.p50)}, p99 ${ratio(keyward.latency?.p99, bare.latency?.p99)}, cpu per request ${ratio(keyward.cpuUsPerRequest, bare.cpuUsPerRequest)}`,
        `keyward/null: throughput ${ratio(keyward.reqPerSec, nul.reqPerSec)}, p50 ${ratio(keyward.latency?.p50, nul.latency?.p50)}, p99 ${ratio(keyward.latency?.p99, nul.latency?.p99)}`,
        `keyward/null-decode (a null handler that decodes the whole CheckRequest with protobuf-es): throughput ${ratio(keyward.reqPerSec, nullDecode.reqPerSec)}, p99 ${ratio(keyward.latency?.p99, nullDecode.latency?.p99)}`,
        `rounds req/s: null ${rounds.map((r) => rate(r.null.reqPerSec)).join(", ")}; null-decode ${rounds.map((r) => rate(r.nullDecode.reqPerSec)).join(", ")}; bare ${rounds.map((r) => rate(r.bare.reqPerSec)).join(", ")}; keyward ${rounds.map((r) => rate(r.keyward.reqPerSec)).join(", ")}; warm-up: null ${rate(warm.null)}, null-decode ${rate(warm.nullDecode)}, bare ${rate(warm.bare)}, keyward ${rate(warm.keyward)}`,
      ],
      problems: rounds
        .flatMap((r) => [r.null.problem, r.keyward.problem, r.nullDecode.problem, r.bare.problem])
        .filter((p): p is string => p !== null),
    };
  },
};

function best(runs: Measurement[]): Measurement {
  return runs.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
}
