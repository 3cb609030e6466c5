import { create } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { Principal } from "../../src/admin/principal.js";
import {
  checkGrant,
  durationMs,
  expiryInput,
  rateLimitInput,
  timestampInput,
} from "../../src/admin/request-input.js";
import { RateLimitSchema } from "../../src/gen/keyward/admin/v1/key_pb.js";
import { type FieldViolation, Violations } from "../../src/keys/validation.js";

const DAY_S = 86_400;
const NOW = Date.UTC(2030, 0, 1);

function duration(seconds: number | bigint, nanos = 0) {
  return create(DurationSchema, { seconds: BigInt(seconds), nanos });
}

function collect<T>(f: (v: Violations) => T): { value: T; violations: FieldViolation[] } {
  const v = new Violations();
  const value = f(v);
  return { value, violations: v.list };
}

describe("durationMs", () => {
  it.each([
    [0, 0, 0],
    [1, 0, 1000],
    [0, 999_999_999, 999],
    [1, 500_000_000, 1500],
    [100 * 365 * DAY_S, 0, 100 * 365 * DAY_S * 1000],
  ])("reads %d s + %d ns as %d ms", (s, ns, ms) => {
    expect(collect((v) => durationMs(v, "ttl", duration(s, ns)))).toEqual({ value: ms, violations: [] });
  });

  it.each([
    [-1, 0],
    [0, -5_000_000],
    [1, -1],
    [-1, 1],
  ])("refuses %d s + %d ns as negative or mixed-sign", (s, ns) => {
    expect(collect((v) => durationMs(v, "ttl", duration(s, ns)))).toEqual({
      value: undefined,
      violations: [{ field: "ttl", description: "must not be negative" }],
    });
  });

  it("refuses more than the maximum, one millisecond over included", () => {
    const over = collect((v) => durationMs(v, "ttl", duration(100 * 365 * DAY_S, 1_000_000)));
    expect(over.value).toBeUndefined();
    expect(over.violations).toEqual([{ field: "ttl", description: "must be at most 36500 days" }]);
    expect(collect((v) => durationMs(v, "ttl", duration(2n ** 62n))).value).toBeUndefined();
  });

  it("honours a smaller maximum", () => {
    expect(collect((v) => durationMs(v, "w", duration(DAY_S), DAY_S * 1000)).value).toBe(DAY_S * 1000);
    expect(collect((v) => durationMs(v, "w", duration(DAY_S + 1), DAY_S * 1000)).violations).toHaveLength(1);
  });
});

describe("timestampInput", () => {
  it("reads a timestamp as a Date", () => {
    const t = create(TimestampSchema, { seconds: BigInt(NOW / 1000), nanos: 5_000_000 });
    expect(collect((v) => timestampInput(v, "expire_time", t)).value?.getTime()).toBe(NOW + 5);
  });

  it.each([
    [0, -1],
    [0, 1_000_000_000],
    [1e15, 0],
  ])("refuses %d s + %d ns", (s, nanos) => {
    const t = create(TimestampSchema, { seconds: BigInt(s), nanos });
    expect(collect((v) => timestampInput(v, "expire_time", t))).toEqual({
      value: null,
      violations: [{ field: "expire_time", description: "is not a valid time" }],
    });
  });
});

describe("expiryInput", () => {
  const at = create(TimestampSchema, { seconds: BigInt(NOW / 1000 + 3600) });

  it("is no expiry when neither field is set", () => {
    expect(collect((v) => expiryInput(v, undefined, undefined, NOW))).toEqual({
      value: null,
      violations: [],
    });
  });

  it("refuses both expire_time and ttl", () => {
    expect(collect((v) => expiryInput(v, at, duration(60), NOW))).toEqual({
      value: null,
      violations: [{ field: "ttl", description: "set expire_time or ttl, not both" }],
    });
  });

  it("takes expire_time as given", () => {
    expect(collect((v) => expiryInput(v, at, undefined, NOW)).value?.getTime()).toBe(NOW + 3_600_000);
  });

  it("counts ttl from now", () => {
    expect(collect((v) => expiryInput(v, undefined, duration(3600), NOW)).value?.getTime()).toBe(
      NOW + 3_600_000,
    );
    expect(collect((v) => expiryInput(v, undefined, duration(0, 1_000_000), NOW)).value?.getTime()).toBe(
      NOW + 1,
    );
  });

  it.each([
    ["zero", duration(0), "must be positive"],
    ["under a millisecond", duration(0, 999_999), "must be positive"],
    ["negative", duration(-60), "must not be negative"],
    ["over a hundred years", duration(100 * 365 * DAY_S + 1), "must be at most 36500 days"],
  ])("refuses a %s ttl with one violation", (_, ttl, description) => {
    expect(collect((v) => expiryInput(v, undefined, ttl, NOW))).toEqual({
      value: null,
      violations: [{ field: "ttl", description }],
    });
  });
});

describe("rateLimitInput", () => {
  const limit = (requests: number, window: ReturnType<typeof duration> | undefined, burst = 0) =>
    create(RateLimitSchema, { requests, window, burst });
  const input = (rl: ReturnType<typeof limit> | undefined) =>
    collect((v) => rateLimitInput(v, "key.rate_limit", rl));

  it("is no limit when unset", () => {
    expect(input(undefined)).toEqual({ value: null, violations: [] });
  });

  it("reads requests per window plus burst", () => {
    expect(input(limit(100, duration(60), 10))).toEqual({
      value: { requests: 100, windowMs: 60_000, burst: 10 },
      violations: [],
    });
  });

  it.each([
    [1, 1, 0],
    [1_000_000_000, DAY_S, 1_000_000_000],
  ])("accepts the bounds: %d requests per %d s, burst %d", (requests, seconds, burst) => {
    expect(input(limit(requests, duration(seconds), burst)).violations).toEqual([]);
  });

  it.each([
    ["no requests", limit(0, duration(1)), "key.rate_limit.requests"],
    ["too many requests", limit(1_000_000_001, duration(1)), "key.rate_limit.requests"],
    ["too much burst", limit(1, duration(1), 1_000_000_001), "key.rate_limit.burst"],
  ])("refuses %s, naming the field", (_, rl, field) => {
    expect(fields(input(rl).violations)).toEqual([field]);
  });

  it.each([
    ["missing", undefined, "must be between 1s and 1 day"],
    ["under a second", duration(0, 999_000_000), "must be between 1s and 1 day"],
    ["zero", duration(0), "must be between 1s and 1 day"],
    ["over a day", duration(DAY_S + 1), expect.stringMatching(/^must be at most 1 days?$/)],
    ["negative", duration(-1), "must not be negative"],
  ])("refuses a %s window with exactly one violation", (_, window, description) => {
    expect(input(limit(10, window))).toEqual({
      value: null,
      violations: [{ field: "key.rate_limit.window", description }],
    });
  });
});

function fields(list: FieldViolation[]): string[] {
  return list.map((v) => v.field);
}

describe("checkGrant", () => {
  const companyAdmin: Principal = { kind: "key", keyId: "k1", companyId: "acme", platform: false };
  const platformAdmin: Principal = { kind: "key", keyId: "k2", companyId: "ops", platform: true };

  function denial(f: () => void): ConnectError {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(ConnectError);
      return err as ConnectError;
    }
    throw new Error("expected a ConnectError");
  }

  it("lets a company admin grant anything but platform:admin in its own company", () => {
    expect(() => checkGrant(companyAdmin, "acme", ["*", "keys:admin", "jobs:read"])).not.toThrow();
  });

  it("refuses a company admin another company, naming it", () => {
    const err = denial(() => checkGrant(companyAdmin, "globex", []));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toContain('"globex"');
  });

  it("clips a huge company id in the message", () => {
    const err = denial(() => checkGrant(companyAdmin, "g".repeat(10_000), []));
    expect(err.rawMessage.length).toBeLessThan(300);
  });

  it("refuses a company admin platform:admin", () => {
    const err = denial(() => checkGrant(companyAdmin, "acme", ["jobs:read", "platform:admin"]));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toContain("platform:admin");
  });

  it.each([platformAdmin, { kind: "cli" } as Principal, { kind: "dev" } as Principal])(
    "lets a platform principal (%j) grant anything anywhere",
    (p) => {
      expect(() => checkGrant(p, "globex", ["platform:admin", "keys:admin", "*"])).not.toThrow();
    },
  );
});
