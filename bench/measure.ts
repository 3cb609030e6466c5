import { join } from "node:path";
import { runH2load } from "./h2load.js";
import { checkOutcomes, outcomeDelta } from "./keyward-metrics.js";
import type { LatencyStats } from "./latency.js";
import { median } from "./ratios.js";
import type { BenchContext, Target } from "./scenario.js";

/** One measured h2load run against one target. */
export interface Measurement {
  target: string;
  requests: number;
  reqPerSec: number;
  latency: LatencyStats | null;
  /** The server process's CPU time per request during the run, in microseconds. */
  cpuUsPerRequest: number;
  /** Why the figures cannot be trusted, or null. */
  problem: string | null;
}

/** What to run: a request count, and an offered load per client when the run is not flat out. */
export interface MeasureSpec {
  requests: number;
  rpsPerClient?: number;
  /** How long the run should take; the hard time limit derives from it. */
  expectedSec: number;
  /** Other traffic (a flood of bad keys) runs alongside: only the allow count is checked, not the others. */
  alongside?: boolean;
}

let runNumber = 0;

/** A time-based run whose results are thrown away; returns its rate, to size the measured runs. */
export async function warmUp(ctx: BenchContext, target: Target): Promise<number> {
  const { settings } = ctx;
  const result = await runH2load({
    ...shape(ctx, target),
    durationSec: settings.warmupSec,
    timeoutMs: (settings.warmupSec + 30) * 1000,
  });
  return result.reqPerSec;
}

/**
 * Runs h2load with a per-request log and computes latency percentiles from it. For Keyward, the outcome
 * counters before and after must show exactly one allow per request: h2load only sees HTTP 200, which gRPC
 * also uses for errors and which says nothing about the verdict.
 */
export async function measure(ctx: BenchContext, target: Target, spec: MeasureSpec): Promise<Measurement> {
  const protocol = target.http1Headers ? "http" : "grpc";
  const before = target.adminPort ? await checkOutcomes(target.adminPort, protocol) : null;
  const cpuBefore = await target.server.call<number>("cpuUsage");
  const result = await runH2load({
    ...shape(ctx, target),
    requests: spec.requests,
    ...(spec.rpsPerClient !== undefined ? { rpsPerClient: spec.rpsPerClient } : {}),
    logFile: join(ctx.tmpDir, `run-${++runNumber}-${target.name}.log`),
    timeoutMs: Math.max(30_000, spec.expectedSec * 4000),
  });
  const cpuUsPerRequest = ((await target.server.call<number>("cpuUsage")) - cpuBefore) / spec.requests;
  const problems: string[] = [];
  if (result.succeeded !== spec.requests) {
    problems.push(
      `${spec.requests - result.succeeded} of ${spec.requests} requests did not succeed (failed ${result.failed}, errored ${result.errored}, timeout ${result.timedOut})`,
    );
  }
  if (result.latency && result.latency.count !== result.succeeded) {
    problems.push(`h2load logged ${result.latency.count} timings for ${result.succeeded} successes`);
  }
  if (before && target.adminPort) {
    const delta = outcomeDelta(before, await checkOutcomes(target.adminPort, protocol));
    const { allow = 0, ...others } = delta;
    if (allow !== result.succeeded || (!spec.alongside && Object.keys(others).length > 0)) {
      problems.push(`answers were not all allows: ${JSON.stringify(delta)} for ${result.succeeded} requests`);
    }
  }
  return {
    target: target.name,
    requests: spec.requests,
    reqPerSec: result.reqPerSec,
    latency: result.latency,
    cpuUsPerRequest,
    problem: problems.length > 0 ? `${target.name}: ${problems.join("; ")}` : null,
  };
}

/**
 * One target's rounds as one measurement: each figure the median of the rounds' figures (a round's p99 is
 * set by a handful of its slowest requests, so one disturbed round would otherwise decide it).
 */
export function medianOfRounds(rounds: readonly Measurement[]): Measurement {
  const first = rounds[0];
  if (!first) throw new Error("no rounds to combine");
  if (rounds.length === 1) return first;
  const latencies = rounds.map((r) => r.latency).filter((l): l is LatencyStats => l !== null);
  const problems = rounds.map((r) => r.problem).filter((p): p is string => p !== null);
  const stat = (key: keyof LatencyStats) => median(latencies.map((l) => l[key]));
  return {
    target: first.target,
    requests: rounds.reduce((sum, r) => sum + r.requests, 0),
    reqPerSec: median(rounds.map((r) => r.reqPerSec)),
    latency:
      latencies.length === rounds.length
        ? {
            count: latencies.reduce((sum, l) => sum + l.count, 0),
            mean: stat("mean"),
            p50: stat("p50"),
            p90: stat("p90"),
            p99: stat("p99"),
            p999: stat("p999"),
            max: Math.max(...latencies.map((l) => l.max)),
          }
        : null,
    cpuUsPerRequest: median(rounds.map((r) => r.cpuUsPerRequest)),
    problem: problems.length > 0 ? problems.join("; ") : null,
  };
}

/** Where and how h2load loads `target`: its URL, request, connections and threads. */
function shape(ctx: BenchContext, target: Target) {
  const { settings } = ctx;
  return {
    url: target.url,
    bodyFile: target.bodyFile,
    ...(target.http1Headers ? { http1Headers: target.http1Headers } : {}),
    clients: target.load?.clients ?? settings.clients,
    streams: target.load?.streams ?? settings.streams,
    threads: settings.threads,
  };
}

/** `n` rounded up to a multiple of `step` (h2load splits requests evenly across clients). */
export function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}
