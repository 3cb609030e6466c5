import type { AttemptResult } from "../store/delivery-repository.js";
import { nextAttempt, parseRetryAfter } from "./retry-schedule.js";
import type { SendOutcome } from "./send-request.js";

/** How an attempt is counted in the metrics. */
export type AttemptVerdict = "succeeded" | "retrying" | "failed" | "disabled";

/** What to store after an attempt, and whether the endpoint must be disabled (it answered 410). */
export interface AttemptDecision {
  result: AttemptResult;
  verdict: AttemptVerdict;
}

/** Judges attempt number `attempt` (1-based) of a delivery from what the receiver answered. */
export function decideAttempt(
  outcome: SendOutcome,
  attempt: number,
  schedule: readonly number[],
  now: number,
  random?: () => number,
): AttemptDecision {
  const time = new Date(now);
  if (outcome.kind === "success") {
    return {
      verdict: "succeeded",
      result: { state: "succeeded", statusCode: outcome.status, error: null, time, nextAttemptTime: null },
    };
  }
  if (outcome.kind === "gone") {
    return {
      verdict: "disabled",
      result: {
        state: "failed",
        statusCode: 410,
        error: "endpoint answered 410 Gone: disabled",
        time,
        nextAttemptTime: null,
      },
    };
  }
  const plan = nextAttempt(attempt, schedule, now, parseRetryAfter(outcome.retryAfter, now), random);
  return {
    verdict: plan.retry ? "retrying" : "failed",
    result: {
      state: plan.retry ? "pending" : "failed",
      statusCode: outcome.status,
      error: outcome.error,
      time,
      nextAttemptTime: plan.retry ? new Date(plan.at) : null,
    },
  };
}
