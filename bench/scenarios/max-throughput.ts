import { type Measurement, measure, roundUp, warmUp } from "../measure.js";
import { ms, rate, ratio } from "../report.js";
import type { Scenario } from "../scenario.js";

/** The servers' flat-out figures, kept for the scenarios that follow. */
export interface MaxThroughput {
  keyward: Measurement;
  null: Measurement;
  nullDecode: Measurement;
}

export const MAX_THROUGHPUT = "max-throughput";

/**
 * Keyward's Check against both null handlers, flat out, with the same request count, clients and streams.
 */
export const maxThroughput: Scenario = {
  id: MAX_THROUGHPUT,
  title: "max throughput: Keyward Check vs null handler",
  async run(ctx) {
    const { settings } = ctx;
    const targets = await ctx.checkTargets();
    const warm = {
      keyward: await warmUp(ctx, targets.keyward),
      null: await warmUp(ctx, targets.null),
      nullDecode: await warmUp(ctx, targets.nullDecode),
    };
    // The same N for all, sized so the slowest runs about maxRunSec per round (warm-up rates are low
    // estimates, so runs come out shorter, never longer).
    const slower = Math.max(1, Math.min(warm.keyward, warm.null, warm.nullDecode));
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
      rounds.push({ null: n, keyward: k, nullDecode: d });
    }
    const nul = best(rounds.map((r) => r.null));
    const keyward = best(rounds.map((r) => r.keyward));
    const nullDecode = best(rounds.map((r) => r.nullDecode));
    ctx.results.set(MAX_THROUGHPUT, { keyward, null: nul, nullDecode } satisfies MaxThroughput);
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
      columns: ["target", "req/s", "mean ms", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"],
      rows: [nul, nullDecode, keyward].map((m) => [
        m.target,
        rate(m.reqPerSec),
        ms(m.latency?.mean),
        ms(m.latency?.p50),
        ms(m.latency?.p90),
        ms(m.latency?.p99),
        ms(m.latency?.p999),
        ms(m.latency?.max),
      ]),
      notes: [
        `keyward/null: throughput ${ratio(keyward.reqPerSec, nul.reqPerSec)}, p50 ${ratio(keyward.latency?.p50, nul.latency?.p50)}, p99 ${ratio(keyward.latency?.p99, nul.latency?.p99)}`,
        `keyward/null-decode (a null handler that decodes the whole CheckRequest with protobuf-es): throughput ${ratio(keyward.reqPerSec, nullDecode.reqPerSec)}, p99 ${ratio(keyward.latency?.p99, nullDecode.latency?.p99)}`,
        `rounds req/s: null ${rounds.map((r) => rate(r.null.reqPerSec)).join(", ")}; null-decode ${rounds.map((r) => rate(r.nullDecode.reqPerSec)).join(", ")}; keyward ${rounds.map((r) => rate(r.keyward.reqPerSec)).join(", ")}; warm-up: null ${rate(warm.null)}, null-decode ${rate(warm.nullDecode)}, keyward ${rate(warm.keyward)}`,
      ],
      problems: rounds
        .flatMap((r) => [r.null.problem, r.keyward.problem, r.nullDecode.problem])
        .filter((p): p is string => p !== null),
    };
  },
};

function best(runs: Measurement[]): Measurement {
  return runs.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
}
