import { describe, expect, it } from "vitest";
import { DEFAULT_WEBHOOK_RETRIES } from "../../src/config.js";
import { parseDurationList } from "../../src/duration.js";
import { decideAttempt } from "../../src/webhooks/attempt-result.js";
import { nextAttempt, parseRetryAfter } from "../../src/webhooks/retry-schedule.js";

const S = 1000;
const schedule = parseDurationList(DEFAULT_WEBHOOK_RETRIES) as number[];

describe("the retry schedule", () => {
  it("parses the default: nine waits from 5 s to 24 h", () => {
    expect(schedule).toEqual([
      5 * S,
      300 * S,
      1800 * S,
      7200 * S,
      18_000 * S,
      36_000 * S,
      50_400 * S,
      72_000 * S,
      86_400 * S,
    ]);
    expect(parseDurationList("250ms, 1s")).toEqual([250, 1000]);
    expect(parseDurationList("5s,,x")).toBeUndefined();
    expect(parseDurationList("")).toBeUndefined();
  });

  it("jitters each wait by at most a fifth, and stops after the last", () => {
    expect(nextAttempt(1, schedule, 0, undefined, () => 0)).toEqual({ retry: true, at: 4 * S });
    expect(nextAttempt(1, schedule, 0, undefined, () => 1)).toEqual({ retry: true, at: 6 * S });
    expect(nextAttempt(9, schedule, 0, undefined, () => 0.5)).toEqual({ retry: true, at: 86_400 * S });
    expect(nextAttempt(10, schedule, 0, undefined)).toEqual({ retry: false });
  });

  it("honours a longer retry-after, in seconds or as a date", () => {
    expect(parseRetryAfter("120", 0)).toBe(120 * S);
    expect(parseRetryAfter(new Date(60 * S).toUTCString(), 0)).toBe(60 * S);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    expect(parseRetryAfter("99999999", 0)).toBe(86_400 * S);
    expect(nextAttempt(1, schedule, 0, 120 * S, () => 0.5)).toEqual({ retry: true, at: 120 * S });
    expect(nextAttempt(1, schedule, 0, 1 * S, () => 0.5)).toEqual({ retry: true, at: 5 * S });
  });
});

describe("judging an attempt", () => {
  it("2xx succeeds, 410 disables, anything else retries until the schedule runs out", () => {
    expect(decideAttempt({ kind: "success", status: 202 }, 1, schedule, 0).verdict).toBe("succeeded");
    const gone = decideAttempt({ kind: "gone", status: 410 }, 1, schedule, 0);
    expect(gone.verdict).toBe("disabled");
    expect(gone.result.state).toBe("failed");
    const failure = {
      kind: "failure",
      status: 302,
      error: "redirect not followed",
      retryAfter: undefined,
    } as const;
    const retry = decideAttempt(failure, 1, schedule, 0, () => 0.5);
    expect(retry).toMatchObject({ verdict: "retrying", result: { state: "pending", statusCode: 302 } });
    expect(retry.result.nextAttemptTime?.getTime()).toBe(5 * S);
    expect(decideAttempt(failure, 10, schedule, 0).result).toMatchObject({
      state: "failed",
      nextAttemptTime: null,
    });
  });
});
