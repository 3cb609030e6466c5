import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { readCheckRequest } from "../dist/authz/check-request-reader.js";
import type { CheckService } from "../dist/authz/check-service.js";
import { requestFacts } from "../dist/authz/request-facts.js";
import { CheckRequestSchema } from "../dist/gen/envoy/service/auth/v3/external_auth_pb.js";
import { Metrics } from "../dist/metrics.js";
import { benchCheckRequest } from "./check-request.js";
import { sumReference } from "./host-speed.js";
import { median } from "./ratios.js";

/** One step of a Check and what a call of it cost, in nanoseconds: in a loop, and alone after an idle spell. */
export interface StepCost {
  step: string;
  ns: number;
  /** The median of single calls, each made after the process sat idle for `IDLE_MS`. */
  idleNs: number;
}

/**
 * Every step's cost; how many whole-Check calls the cache could not answer (each went to the store), and
 * how many of those fell in timed batches that could not be run again.
 */
export interface StepCosts {
  costs: StepCost[];
  wholeChecks: number;
  uncached: number;
  uncachedTimed: number;
}

/** How long the process sits idle before each lone call: a gap between requests at light load. */
export const IDLE_MS = 5;
const LONE_CALLS = 200;

/**
 * What each step of a cached Check costs inside Keyward's process, with no RPC around it: each step is
 * called in a loop on the bench request, after a warm-up, and timed as a whole; then called alone after the
 * process sat idle, the way a lightly loaded sidecar meets each request. A full protobuf-es decode of the same
 * request, and a pass over 64 KB that is no part of a Check, are timed beside them for comparison.
 */
export async function measureStepCosts(check: CheckService, secret: string): Promise<StepCosts> {
  const bytes = Buffer.from(toBinary(CheckRequestSchema, benchCheckRequest(secret)));
  const view = readCheckRequest(bytes);
  if (!view) throw new Error("the bench request does not read");
  const latency = new Metrics().checkSeconds.cell("allow", "grpc");
  const misses = new Misses();
  const wholeCheck = () => {
    misses.calls++;
    const answer = check.check(readCheckRequest(bytes) ?? view);
    // Only a key the cache does not hold is answered later: the batch it fell in is timed again.
    if (answer instanceof Promise) misses.add(answer);
  };
  const steps: [string, () => unknown][] = [
    [
      "protobuf-es: decode the whole request (not on Keyward's path)",
      () => fromBinary(CheckRequestSchema, bytes),
    ],
    ["readCheckRequest: read the fields a decision needs", () => readCheckRequest(bytes)],
    ["requestFacts: credential, company, route, source", () => requestFacts(view, check.facts)],
    [
      "latency histogram: the two clock reads and one observe every Check pays",
      () => {
        const started = performance.now();
        latency.observe((performance.now() - started) / 1000);
      },
    ],
    ["the whole cached Check: read, facts, key, decide, limit, record, answer", wholeCheck],
    ["reference: one pass over 64 KB of numbers (no part of a Check)", sumReference],
    ["nothing: the two clock reads that time each call", () => undefined],
  ];
  const costs: StepCost[] = [];
  for (const [step, run] of steps) {
    const ns = await timePerCall(run, misses);
    costs.push({ step, ns, idleNs: await medianAfterIdle(run, misses) });
  }
  return { costs, wholeChecks: misses.calls, uncached: misses.total, uncachedTimed: misses.kept };
}

/** How many times a batch whose calls went to the store is run again before its time is kept anyway. */
const RETRIES = 3;

/**
 * Whole-Check calls the cache could not answer. When the key's cache entry expires, every call until the
 * lookup returns goes to the store, and a loop that holds the thread never lets it return: the rest of
 * that batch would time lookups. Such a batch is thrown away and run again once the lookup is done.
 */
class Misses {
  calls = 0;
  total = 0;
  /** Misses in batches (or lone calls) whose time was kept after all retries. */
  kept = 0;
  private pending: Promise<unknown>[] = [];

  add(answer: Promise<unknown>): void {
    this.total++;
    this.pending.push(answer.catch(() => undefined));
  }

  /** Waits for the lookups of the calls since the last wait; how many there were. */
  async drain(): Promise<number> {
    const waiting = this.pending;
    this.pending = [];
    await Promise.all(waiting);
    return waiting.length;
  }

  /**
   * Whether the calls since the last wait all came from the cache, waiting for their lookups if not. Once a
   * batch has used its retries its time is kept anyway, and its misses are counted as kept.
   */
  async settle(retriesLeft: number): Promise<boolean> {
    const missed = await this.drain();
    if (missed === 0) return true;
    if (retriesLeft > 0) return false;
    this.kept += missed;
    return true;
  }
}

/** The median time of `LONE_CALLS` single calls, each after `IDLE_MS` with nothing to do. */
async function medianAfterIdle(run: () => unknown, misses: Misses): Promise<number> {
  const times: number[] = [];
  let retries = RETRIES;
  while (times.length < LONE_CALLS) {
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const started = process.hrtime.bigint();
    run();
    const ns = Number(process.hrtime.bigint() - started);
    if (await misses.settle(retries)) times.push(ns);
    else retries--;
  }
  return median(times);
}

/**
 * The mean time of 200,000 calls after 20,000 to warm up, run in batches with a turn of the event loop
 * between them: a loop that held the thread for seconds would starve the process's own timers (the store's
 * change-feed heartbeat among them) and change what is measured.
 */
async function timePerCall(run: () => unknown, misses: Misses): Promise<number> {
  const batch = 10_000;
  for (let i = 0; i < 2; i++) await timeBatch(run, batch);
  await misses.drain();
  let total = 0;
  let retries = RETRIES;
  for (let kept = 0; kept < 20; ) {
    const ns = await timeBatch(run, batch);
    if (await misses.settle(retries)) {
      total += ns;
      kept++;
    } else {
      retries--;
    }
  }
  return total / (20 * batch);
}

/** Nanoseconds for `calls` calls, after a turn of the event loop. */
async function timeBatch(run: () => unknown, calls: number): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve));
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) run();
  return Number(process.hrtime.bigint() - started);
}
