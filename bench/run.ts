/**
 * `npm run bench`: Keyward's Check path under h2load, against a null-handler baseline on the same RPC stack,
 * and its HTTP forward auth under HTTP/1.1 keep-alive load beside it.
 * Each server runs in its own child process so the load generator never shares its event loop. Scenarios
 * run in order and share servers and results; each returns a report printed by one printer.
 *
 *   BENCH_QUICK=1                 ~20 s smoke run instead of ~2 minutes
 *   BENCH_SCENARIOS=a,b           run only these scenario ids (in list order)
 *   BENCH_CLIENTS / BENCH_STREAMS / BENCH_THREADS   h2load -c / -m / -t
 *   KEYWARD_BENCH_DATABASE_URL    run Keyward on PostgreSQL (a fresh schema, dropped after) instead of PGlite
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCheckTargets } from "./check-targets.js";
import { ChildPool, startChild } from "./child-process.js";
import { ensureH2load, h2loadVersion } from "./h2load.js";
import { cpuTimes, hostSpeed } from "./host-speed.js";
import type { KeywardServerInfo, KeywardServerOptions } from "./keyward-server.js";
import { formatReport } from "./report.js";
import { BenchAbort, type BenchContext, type CheckTargets, type Scenario } from "./scenario.js";
import { firstStart } from "./scenarios/first-start.js";
import { forwardAuth } from "./scenarios/forward-auth.js";
import { instructions } from "./scenarios/instructions.js";
import { invalidFlood } from "./scenarios/invalid-flood.js";
import { maxThroughput } from "./scenarios/max-throughput.js";
import { offeredLoad } from "./scenarios/offered-load.js";
import { revocationPropagation } from "./scenarios/revocation-propagation.js";
import { stepCosts } from "./scenarios/step-costs.js";
import { summary } from "./scenarios/summary.js";
import { usageFlush } from "./scenarios/usage-flush.js";
import { webhookLatency } from "./scenarios/webhook-latency.js";
import { type BenchSettings, benchSettings, loadAverage, machine } from "./settings.js";

/** Every scenario, in the order they run; later ones may build on earlier ones' results. */
const SCENARIOS: Scenario[] = [
  maxThroughput,
  offeredLoad,
  forwardAuth,
  summary,
  stepCosts,
  usageFlush,
  invalidFlood,
  revocationPropagation,
  webhookLatency,
  firstStart,
  instructions,
];

async function main(): Promise<number> {
  const started = performance.now();
  const settings = benchSettings(process.env);
  const scenarios = chosenScenarios(process.env.BENCH_SCENARIOS);
  ensureH2load();
  const tmpDir = mkdtempSync(join(tmpdir(), "keyward-bench-"));
  const pool = new ChildPool();
  const cleanup = async () => {
    await pool.close();
    rmSync(tmpDir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void cleanup().finally(() => process.exit(130)));
  const ctx = benchContext(settings, pool, tmpDir);

  console.log("Keyward bench: ext_authz Check under h2load");
  console.log(`machine: ${machine()}; ${h2loadVersion()}; ${loadAverage()}`);
  const cpuAtStart = cpuTimes();
  console.log(hostSpeed("at the start"));
  console.log(
    `mode: ${settings.quick ? "quick (BENCH_QUICK=1)" : "full"}; store: ${settings.databaseUrl ? "postgresql" : "pglite (memory)"}; h2load -c ${settings.clients} -m ${settings.streams} -t ${settings.threads}; scenarios: ${scenarios.map((s) => s.id).join(", ")}`,
  );
  let failed = false;
  try {
    for (const scenario of scenarios) {
      const t0 = performance.now();
      try {
        const report = await scenario.run(ctx);
        console.log(`\n${formatReport(report, (performance.now() - t0) / 1000)}`);
        if (report.problems.length > 0) failed = true;
      } catch (err) {
        failed = true;
        console.log(
          `\n== ${scenario.title} ==\n  !! failed: ${err instanceof Error ? err.message : String(err)}`,
        );
        if (err instanceof BenchAbort) break;
      }
    }
  } finally {
    await cleanup();
  }
  console.log(`\n${loadAverage()} at the end`);
  console.log(hostSpeed("at the end", cpuAtStart));
  const took = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`bench took ${took} s${failed ? " (with problems, see !!)" : ""}`);
  return failed ? 1 : 0;
}

/** The shared context; servers start on first use and stop with the pool. */
function benchContext(settings: BenchSettings, pool: ChildPool, tmpDir: string): BenchContext {
  let replicas = 0;
  const startKeyward = (options: KeywardServerOptions = {}) => {
    const childOptions = {
      ...(settings.databaseUrl ? { databaseUrl: settings.databaseUrl } : {}),
      ...options,
    };
    return pool.add(
      startChild<KeywardServerInfo>(`keyward#${++replicas}`, "./keyward-server.ts", childOptions),
    );
  };
  let targets: Promise<CheckTargets> | undefined;
  return {
    settings,
    tmpDir,
    results: new Map(),
    startKeyward,
    startChild: (name, entry, options, launcher) => pool.add(startChild(name, entry, options, launcher)),
    checkTargets: () => {
      targets ??= startCheckTargets(pool, startKeyward, tmpDir);
      return targets;
    },
  };
}

function chosenScenarios(list: string | undefined): Scenario[] {
  const ids = list?.split(",").filter(Boolean);
  if (!ids) return SCENARIOS;
  const unknown = ids.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_SCENARIOS: unknown ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.id).join(", ")}`,
    );
  }
  return SCENARIOS.filter((s) => ids.includes(s.id));
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return 1;
});
// Everything is stopped by now; should a stray handle keep the process up, do not hang a CI job on it.
setTimeout(() => process.exit(), 15_000).unref();
