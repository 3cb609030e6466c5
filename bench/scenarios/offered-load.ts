import { type Measurement, measure, roundUp } from "../measure.js";
import { ms, rate, ratio } from "../report.js";
import type { BenchContext, Scenario } from "../scenario.js";
import { MAX_THROUGHPUT, type MaxThroughput } from "./max-throughput.js";

/** One offered load and both servers' figures at it. */
export interface LoadPoint {
  label: string;
  offered: number;
  keyward: Measurement;
  null: Measurement;
}

export const OFFERED_LOAD = "offered-load";

/**
 * Both servers at the same offered load (h2load `--rps` per client), a fraction of the null handler's max,
 * to compare latency when neither is saturated. When that load is beyond Keyward's own max, Keyward is
 * saturated there, so a second point at the same fraction of Keyward's max is measured as well.
 */
export const offeredLoad: Scenario = {
  id: OFFERED_LOAD,
  title: "same offered load: Keyward Check vs null handler",
  async run(ctx) {
    const { settings } = ctx;
    const max = ctx.results.get(MAX_THROUGHPUT) as MaxThroughput | undefined;
    if (!max) throw new Error(`${OFFERED_LOAD} needs the ${MAX_THROUGHPUT} scenario to run first`);
    const loads = [{ label: `${pct(settings.offeredFraction)} null max`, rps: max.null.reqPerSec }];
    if (max.keyward.reqPerSec < max.null.reqPerSec * settings.offeredFraction * 1.1) {
      loads.push({ label: `${pct(settings.offeredFraction)} keyward max`, rps: max.keyward.reqPerSec });
    }
    const points: LoadPoint[] = [];
    for (const load of loads)
      points.push(await loadPoint(ctx, load.label, load.rps * settings.offeredFraction));
    ctx.results.set(OFFERED_LOAD, points);
    const notes = points.map(
      (p) =>
        `at ${p.label} (${rate(p.offered)} req/s): keyward/null p50 ${ratio(p.keyward.latency?.p50, p.null.latency?.p50)}, p99 ${ratio(p.keyward.latency?.p99, p.null.latency?.p99)}`,
    );
    for (const p of points) {
      for (const m of [p.null, p.keyward]) {
        if (m.reqPerSec < p.offered * 0.95) {
          notes.push(
            `${m.target} achieved ${rate(m.reqPerSec)} of ${rate(p.offered)} req/s offered at ${p.label}: it was saturated there (or the machine was busy), so its figures include queueing`,
          );
        }
      }
    }
    if (loads.length > 1) {
      notes.push(
        `the first load exceeds keyward's max (${rate(max.keyward.reqPerSec)} req/s): keyward is saturated there and h2load, which only times sent requests, understates its latency`,
      );
    }
    return {
      title: this.title,
      params: [
        ["c", String(settings.clients)],
        ["m", String(settings.streams)],
        ["duration", `~${settings.offeredRunSec}s per run`],
      ],
      columns: [
        "load",
        "offered req/s",
        "target",
        "achieved req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
      ],
      rows: points.flatMap((p) =>
        [p.null, p.keyward].map((m) => [
          p.label,
          rate(p.offered),
          m.target,
          rate(m.reqPerSec),
          ms(m.latency?.p50),
          ms(m.latency?.p90),
          ms(m.latency?.p99),
          ms(m.latency?.p999),
          ms(m.latency?.max),
        ]),
      ),
      notes,
      problems: points
        .flatMap((p) => [p.null.problem, p.keyward.problem])
        .filter((x): x is string => x !== null),
    };
  },
};

async function loadPoint(ctx: BenchContext, label: string, offered: number): Promise<LoadPoint> {
  const { settings } = ctx;
  const targets = await ctx.checkTargets();
  const rpsPerClient = Math.max(1, Math.round(offered / settings.clients));
  const total = rpsPerClient * settings.clients;
  const requests = roundUp(Math.max(settings.clients, total * settings.offeredRunSec), settings.clients);
  const spec = { requests, rpsPerClient, expectedSec: settings.offeredRunSec };
  const nul = await measure(ctx, targets.null, spec);
  const keyward = await measure(ctx, targets.keyward, spec);
  return { label, offered: total, keyward, null: nul };
}

function pct(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}
