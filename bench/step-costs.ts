import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { readCheckRequest } from "../dist/authz/check-request-reader.js";
import type { CheckService } from "../dist/authz/check-service.js";
import { requestFacts } from "../dist/authz/request-facts.js";
import { CheckRequestSchema } from "../dist/gen/envoy/service/auth/v3/external_auth_pb.js";
import { Metrics } from "../dist/metrics.js";
import { benchCheckRequest } from "./check-request.js";

/** One step of a Check and what a call of it cost, in nanoseconds. */
export interface StepCost {
  step: string;
  ns: number;
}

/**
 * What each step of a cached Check costs inside Keyward's process, with no RPC around it: each step is
 * called in a loop on the bench request, after a warm-up, and timed as a whole. A full protobuf-es decode of
 * the same request is timed beside them for comparison.
 */
export function measureStepCosts(check: CheckService, secret: string): StepCost[] {
  const bytes = Buffer.from(toBinary(CheckRequestSchema, benchCheckRequest(secret)));
  const view = readCheckRequest(bytes);
  if (!view) throw new Error("the bench request does not read");
  const latency = new Metrics().checkSeconds.cell("allow", "grpc");
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
    [
      "the whole cached Check: read, facts, key, decide, limit, record, answer",
      () => check.check(readCheckRequest(bytes) ?? view),
    ],
  ];
  return steps.map(([step, run]) => ({ step, ns: timePerCall(run) }));
}

function timePerCall(run: () => unknown): number {
  for (let i = 0; i < 20_000; i++) run();
  const calls = 200_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) run();
  return Number(process.hrtime.bigint() - started) / calls;
}
