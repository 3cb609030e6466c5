import { cpus, loadavg } from "node:os";

/**
 * The bench's knobs; on a 2-core machine all scenarios together take about 14 minutes (the callgrind counts
 * about 4 of them), BENCH_QUICK=1 about 4.
 */
export interface BenchSettings {
  quick: boolean;
  /** h2load connections (`-c`); Envoy keeps few connections to ext_authz with many streams each. */
  clients: number;
  /** Concurrent streams per connection (`-m`). */
  streams: number;
  /** h2load worker threads (`-t`). */
  threads: number;
  /** Time-based warm-up per server before anything is measured. */
  warmupSec: number;
  /** Max-throughput runs take the same request count, sized so the slower server runs about this long. */
  maxRunSec: number;
  /** Alternating rounds of the max-throughput runs; Keyward and bare run back to back in each. */
  maxRounds: number;
  minRequests: number;
  maxRequests: number;
  /** Offered load as a fraction of the null handler's max throughput. */
  offeredFraction: number;
  offeredRunSec: number;
  /**
   * Alternating rounds at the light load, each target's figures the median of its rounds: one 10 s run's p99
   * moves by a millisecond or more between runs of the same server, more than the difference looked for.
   */
  lightRounds: number;
  /** postgres:// URL for Keyward's store; in-memory PGlite when absent. */
  databaseUrl: string | undefined;
}

/** Settings from the environment the bench is started with. */
export function benchSettings(env: NodeJS.ProcessEnv): BenchSettings {
  const quick = env.BENCH_QUICK === "1";
  return {
    quick,
    clients: positive(env.BENCH_CLIENTS, "BENCH_CLIENTS") ?? 4,
    streams: positive(env.BENCH_STREAMS, "BENCH_STREAMS") ?? 16,
    threads: positive(env.BENCH_THREADS, "BENCH_THREADS") ?? 1,
    warmupSec: quick ? 1 : 3,
    maxRunSec: quick ? 2.5 : 4,
    maxRounds: quick ? 1 : 4,
    minRequests: quick ? 2_000 : 10_000,
    maxRequests: quick ? 50_000 : 400_000,
    offeredFraction: 0.65,
    offeredRunSec: quick ? 2.5 : 10,
    lightRounds: quick ? 1 : 3,
    databaseUrl: env.KEYWARD_BENCH_DATABASE_URL || undefined,
  };
}

/** The machine, for the report. */
export function machine(): string {
  const list = cpus();
  return `${list.length} cpu (${list[0]?.model.trim() ?? "unknown"}), node ${process.version}, ${process.platform}/${process.arch}`;
}

/** The 1-minute load average against the cpu count: other work on the machine skews every figure. */
export function loadAverage(): string {
  const load = loadavg()[0] ?? 0;
  const n = cpus().length;
  return `load average ${load.toFixed(2)} on ${n} cpu${load > n * 0.5 ? " (busy machine: figures are noisy)" : ""}`;
}

function positive(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${text}"`);
  return n;
}
