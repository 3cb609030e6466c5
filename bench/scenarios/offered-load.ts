import { type Measurement, measure, medianOfRounds, roundUp } from "../measure.js";
import { ms, rate, ratio } from "../report.js";
import type { BenchContext, Scenario, Target } from "../scenario.js";
import { MAX_THROUGHPUT, type MaxThroughput } from "./max-throughput.js";

/** One offered load and every server's figures at it. */
export interface LoadPoint {
  label: string;
  offered: number;
  keyward: Measurement;
  null: Measurement;
  bare: Measurement;
  /** Keyward's own listener answering a constant allow: what the listener adds to bare, and the Check to it. */
  transport: Measurement;
  /**
   * Bare measured a second time in each round, after Keyward: how far two runs of the same server land
   * apart, the resolution of every difference at this load.
   */
  bareAgain: Measurement;
}

export const OFFERED_LOAD = "offered-load";

/** The light load every sidecar mostly sees, where only the latency Keyward adds matters. */
const LIGHT_LOAD = 1000;

/**
 * One connection with one request in flight: no request waits behind another, as they do in the bursts
 * h2load's `--rps` sends on several connections at once, so the latency is that of each request alone.
 */
const ONE_AT_A_TIME: NonNullable<Target["load"]> = { clients: 1, streams: 1 };

/** One load to measure: how much, how many rounds, and the connections it runs on when not the bench's own. */
interface Load {
  label: string;
  offered: number;
  rounds: number;
  shape?: Target["load"];
}

/**
 * Keyward and the baselines at the same offered load (h2load `--rps` per client), a fraction of the null
 * handler's max, to compare latency when none is saturated. When that load is beyond Keyward's own max,
 * Keyward is saturated there, so a second point at the same fraction of Keyward's max is measured as well.
 * Two last points at 1,000 req/s show the latency a lightly loaded sidecar adds: on the bench's connections,
 * and with one request in flight at a time. The transport baseline splits Keyward's difference from bare
 * into the listener's share and the Check's. Bare runs twice in every round, so each point also shows how
 * far the same server lands from itself: a difference between Keyward and bare smaller than that is noise.
 */
export const offeredLoad: Scenario = {
  id: OFFERED_LOAD,
  title: "same offered load: Keyward Check vs bare node:http2, its own transport and the null handler",
  async run(ctx) {
    const { settings } = ctx;
    const max = ctx.results.get(MAX_THROUGHPUT) as MaxThroughput | undefined;
    if (!max) throw new Error(`${OFFERED_LOAD} needs the ${MAX_THROUGHPUT} scenario to run first`);
    const share = settings.offeredFraction;
    const loads: Load[] = [
      { label: `${pct(share)} null max`, offered: max.null.reqPerSec * share, rounds: 1 },
    ];
    const keywardSaturated = max.keyward.reqPerSec < max.null.reqPerSec * share * 1.1;
    if (keywardSaturated) {
      loads.push({ label: `${pct(share)} keyward max`, offered: max.keyward.reqPerSec * share, rounds: 1 });
    }
    loads.push({ label: "light load", offered: LIGHT_LOAD, rounds: settings.lightRounds });
    loads.push({
      label: "light load, one at a time",
      offered: LIGHT_LOAD,
      rounds: settings.lightRounds,
      shape: ONE_AT_A_TIME,
    });
    const points: LoadPoint[] = [];
    for (const load of loads) points.push(await loadPoint(ctx, load));
    ctx.results.set(OFFERED_LOAD, points);
    const notes = points.map(
      (p) =>
        `at ${p.label} (${rate(p.offered)} req/s): keyward/null p50 ${ratio(p.keyward.latency?.p50, p.null.latency?.p50)}, p99 ${ratio(p.keyward.latency?.p99, p.null.latency?.p99)}; keyward/bare p50 ${ratio(p.keyward.latency?.p50, p.bare.latency?.p50)}, p99 ${ratio(p.keyward.latency?.p99, p.bare.latency?.p99)}, p99 keyward - bare ${msDiff(p.keyward.latency?.p99, p.bare.latency?.p99)} ms (transport - bare ${msDiff(p.transport.latency?.p99, p.bare.latency?.p99)} ms, keyward - transport ${msDiff(p.keyward.latency?.p99, p.transport.latency?.p99)} ms); ${resolution(p)}`,
    );
    for (const p of points) {
      for (const m of measurements(p)) {
        if (m.reqPerSec < p.offered * 0.95) {
          notes.push(
            `${m.target} achieved ${rate(m.reqPerSec)} of ${rate(p.offered)} req/s offered at ${p.label}: it was saturated there (or the machine was busy), so its figures include queueing`,
          );
        }
      }
    }
    if (keywardSaturated) {
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
        ["light load", `${settings.lightRounds} alternating rounds, median of each figure (max: of all)`],
        ["one at a time", `c=${ONE_AT_A_TIME.clients} m=${ONE_AT_A_TIME.streams}`],
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
        measurements(p).map((m) => [
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
        .flatMap((p) => measurements(p).map((m) => m.problem))
        .filter((x): x is string => x !== null),
    };
  },
};

/** The runs of one point, in the order the table lists them. */
function measurements(p: LoadPoint): Measurement[] {
  return [p.bare, p.bareAgain, p.transport, p.null, p.keyward];
}

/** The same server against itself: the smallest difference at this load that the runs can tell from noise. */
export function resolution(p: LoadPoint): string {
  return `bare again - bare (the same server twice): p50 ${msDiff(p.bareAgain.latency?.p50, p.bare.latency?.p50)} ms, p99 ${msDiff(p.bareAgain.latency?.p99, p.bare.latency?.p99)} ms`;
}

/** One offered load, measured on each target in turn (bare twice), `rounds` times over. */
async function loadPoint(ctx: BenchContext, load: Load): Promise<LoadPoint> {
  const { settings } = ctx;
  const targets = await ctx.checkTargets();
  const clients = load.shape?.clients ?? settings.clients;
  const rpsPerClient = Math.max(1, Math.round(load.offered / clients));
  const total = rpsPerClient * clients;
  const requests = roundUp(Math.max(clients, total * settings.offeredRunSec), clients);
  const spec = { requests, rpsPerClient, expectedSec: settings.offeredRunSec };
  const order = [
    ["null", targets.null],
    ["bare", targets.bare],
    ["transport", targets.transport],
    ["keyward", targets.keyward],
    ["bareAgain", { ...targets.bare, name: "bare-again" }],
  ] as const;
  const runs: Record<(typeof order)[number][0], Measurement[]> = {
    null: [],
    bare: [],
    transport: [],
    keyward: [],
    bareAgain: [],
  };
  for (let round = 0; round < load.rounds; round++) {
    for (const [name, base] of order) {
      const target = load.shape ? { ...base, load: load.shape } : base;
      runs[name].push(await measure(ctx, target, spec));
    }
  }
  return {
    label: load.label,
    offered: total,
    keyward: medianOfRounds(runs.keyward),
    null: medianOfRounds(runs.null),
    bare: medianOfRounds(runs.bare),
    transport: medianOfRounds(runs.transport),
    bareAgain: medianOfRounds(runs.bareAgain),
  };
}

/** `a - b` in milliseconds, signed, to two decimals. */
function msDiff(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined) return "-";
  const d = a - b;
  return `${d >= 0 ? "+" : ""}${d.toFixed(2)}`;
}

function pct(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}
