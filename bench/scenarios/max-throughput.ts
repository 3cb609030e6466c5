import { type Measurement, measure, roundUp, warmUp } from "../measure.js";
import { pairedRatio, type RatioSpread } from "../ratios.js";
import { MEASUREMENT_COLUMNS, measurementRow, rate, ratio, spread } from "../report.js";
import type { Scenario } from "../scenario.js";

/** The servers' flat-out figures, kept for the scenarios that follow. */
export interface MaxThroughput {
  keyward: Measurement;
  null: Measurement;
  nullDecode: Measurement;
  bare: Measurement;
  transport: Measurement;
  /** Ratios of runs made back to back, round by round. */
  paired: {
    /** Keyward / bare throughput, and cpu per request. */
    throughput: RatioSpread;
    cpu: RatioSpread;
    /** Keyward's listener with a constant answer / bare: what Keyward's transport costs. */
    transport: RatioSpread;
    /** Keyward / its listener with a constant answer: what the Check itself costs. */
    check: RatioSpread;
  };
}

export const MAX_THROUGHPUT = "max-throughput";

/**
 * Keyward's Check against the null handlers, the bare node:http2 server and Keyward's own listener answering a
 * constant allow (the transport), flat out, with the same request count, clients and streams.
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
      transport: await warmUp(ctx, targets.transport),
    };
    // The same N for all, sized so the slowest runs about maxRunSec per round (warm-up rates are low
    // estimates, so runs come out shorter, never longer).
    const slower = Math.max(1, Math.min(...Object.values(warm)));
    const requests = roundUp(
      Math.min(settings.maxRequests, Math.max(settings.minRequests, slower * settings.maxRunSec)),
      settings.clients,
    );
    const expected = (rps: number) => requests / Math.max(1, rps);
    // Alternating rounds, best kept: other load on the machine comes and goes, and the best round of each is
    // the one it disturbed least. Keyward, bare and the transport run back to back, bare in the middle and
    // the order reversed every other round, so each round also gives ratios of runs on the same machine.
    const rounds: Omit<MaxThroughput, "paired">[] = [];
    const run = (target: keyof typeof warm) =>
      measure(ctx, targets[target], { requests, expectedSec: expected(warm[target]) });
    for (let round = 0; round < settings.maxRounds; round++) {
      const n = await run("null");
      const keywardFirst = round % 2 === 0;
      const first = await run(keywardFirst ? "keyward" : "transport");
      const b = await run("bare");
      const last = await run(keywardFirst ? "transport" : "keyward");
      const d = await run("nullDecode");
      const [k, t] = keywardFirst ? [first, last] : [last, first];
      rounds.push({ null: n, keyward: k, nullDecode: d, bare: b, transport: t });
    }
    const paired = {
      throughput: pairedRatio(rounds.map((r) => ({ a: r.keyward.reqPerSec, b: r.bare.reqPerSec }))),
      cpu: pairedRatio(rounds.map((r) => ({ a: r.keyward.cpuUsPerRequest, b: r.bare.cpuUsPerRequest }))),
      transport: pairedRatio(rounds.map((r) => ({ a: r.transport.reqPerSec, b: r.bare.reqPerSec }))),
      check: pairedRatio(rounds.map((r) => ({ a: r.keyward.reqPerSec, b: r.transport.reqPerSec }))),
    };
    const nul = best(rounds.map((r) => r.null));
    const keyward = best(rounds.map((r) => r.keyward));
    const nullDecode = best(rounds.map((r) => r.nullDecode));
    const bare = best(rounds.map((r) => r.bare));
    const transport = best(rounds.map((r) => r.transport));
    ctx.results.set(MAX_THROUGHPUT, {
      keyward,
      null: nul,
      nullDecode,
      bare,
      transport,
      paired,
    } satisfies MaxThroughput);
    return {
      title: this.title,
      params: [
        ["n", String(requests)],
        ["c", String(settings.clients)],
        ["m", String(settings.streams)],
        ["t", String(settings.threads)],
        ["warm-up", `${settings.warmupSec}s each`],
        ["rounds", `${settings.maxRounds} alternating, best kept; keyward, bare and transport back to back`],
      ],
      columns: MEASUREMENT_COLUMNS,
      rows: [bare, transport, nul, nullDecode, keyward].map(measurementRow),
      notes: [
        `keyward/bare (a node:http2 server answering an empty CheckResponse, no gRPC library): throughput ${ratio(keyward.reqPerSec, bare.reqPerSec)}, p50 ${ratio(keyward.latency?.p50, bare.latency?.p50)}, p99 ${ratio(keyward.latency?.p99, bare.latency?.p99)}, cpu per request ${ratio(keyward.cpuUsPerRequest, bare.cpuUsPerRequest)}`,
        `keyward/bare round by round (median, range): throughput ${spread(paired.throughput)}, cpu per request ${spread(paired.cpu)}`,
        `transport (Keyward's listener answering a constant allow instead of checking): transport/bare throughput ${spread(paired.transport)}, keyward/transport ${spread(paired.check)}`,
        `keyward/null: throughput ${ratio(keyward.reqPerSec, nul.reqPerSec)}, p50 ${ratio(keyward.latency?.p50, nul.latency?.p50)}, p99 ${ratio(keyward.latency?.p99, nul.latency?.p99)}`,
        `keyward/null-decode (a null handler that decodes the whole CheckRequest with protobuf-es): throughput ${ratio(keyward.reqPerSec, nullDecode.reqPerSec)}, p99 ${ratio(keyward.latency?.p99, nullDecode.latency?.p99)}`,
        `rounds req/s: null ${rounds.map((r) => rate(r.null.reqPerSec)).join(", ")}; null-decode ${rounds.map((r) => rate(r.nullDecode.reqPerSec)).join(", ")}; bare ${rounds.map((r) => rate(r.bare.reqPerSec)).join(", ")}; transport ${rounds.map((r) => rate(r.transport.reqPerSec)).join(", ")}; keyward ${rounds.map((r) => rate(r.keyward.reqPerSec)).join(", ")}; warm-up: null ${rate(warm.null)}, null-decode ${rate(warm.nullDecode)}, bare ${rate(warm.bare)}, transport ${rate(warm.transport)}, keyward ${rate(warm.keyward)}`,
      ],
      problems: rounds
        .flatMap((r) => [r.null, r.keyward, r.nullDecode, r.bare, r.transport].map((m) => m.problem))
        .filter((p): p is string => p !== null),
    };
  },
};

function best(runs: Measurement[]): Measurement {
  return runs.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
}
