// @vitest-environment happy-dom

import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { KeySchema } from "../../src/gen/keyward/admin/v1/key_pb.js";
import { type CreateForm, createRequest } from "../src/components/create-key-dialog.js";
import { settingsOf, updateRequest } from "../src/components/key-settings.js";
import { chartBars } from "../src/components/usage-chart.js";

const FORM: CreateForm = {
  name: " Billing ",
  scopes: "jobs:read  jobs:write",
  environment: "test",
  expires: "30 days",
  customDate: "",
  ipAllowlist: "10.0.0.0/8, 2001:db8::/32",
  rateLimit: "",
  tags: "a, b,,",
  metadata: "team=billing\nowner = ops",
  kind: "standard",
  companyId: "",
  companyIds: "",
  userId: "",
};

describe("create form → CreateKey request", () => {
  it("splits lists, trims, and turns a preset into a ttl", () => {
    const built = createRequest(FORM, 0);
    expect(built).toEqual({
      request: {
        name: "Billing",
        scopes: ["jobs:read", "jobs:write"],
        environment: "test",
        ipAllowlist: ["10.0.0.0/8", "2001:db8::/32"],
        tags: ["a", "b"],
        metadata: { team: "billing", owner: "ops" },
        ttl: { seconds: 30n * 86_400n },
      },
    });
  });

  it("sends no expiry for Never, an expire_time for a custom date, and a per-minute rate limit", () => {
    const never = createRequest({ ...FORM, expires: "Never" }, 0);
    expect("request" in never && never.request.ttl).toBe(undefined);
    const custom = createRequest(
      { ...FORM, expires: "Custom date", customDate: "2030-01-02", rateLimit: "120" },
      0,
    );
    expect("request" in custom && custom.request.expireTime?.seconds).toBeGreaterThan(0n);
    expect("request" in custom && custom.request.rateLimit).toEqual({
      requests: 120,
      window: { seconds: 60n },
    });
  });

  it("names the field it can judge itself", () => {
    expect(createRequest({ ...FORM, metadata: "nokey" }, 0)).toMatchObject({ field: "metadata" });
    expect(
      createRequest({ ...FORM, expires: "Custom date", customDate: "2000-01-01" }, Date.now()),
    ).toMatchObject({
      field: "expire_time",
    });
    expect(createRequest({ ...FORM, rateLimit: "1.5" }, 0)).toMatchObject({ field: "rate_limit" });
  });

  it("sends the platform fields only for their kind", () => {
    const built = createRequest({ ...FORM, kind: "integration", companyIds: "a, b", userId: "u" }, 0);
    expect("request" in built && built.request).toMatchObject({
      kind: "integration",
      companyIds: ["a", "b"],
    });
    expect("request" in built && built.request.userId).toBe(undefined);
    const token = createRequest({ ...FORM, kind: "user", companyId: "picked", userId: "u" }, 0);
    // A user token belongs to its user's company: the company picked in the console is not sent.
    expect("request" in token && [token.request.userId, token.request.companyId]).toEqual(["u", undefined]);
  });
});

describe("settings form → UpdateKey request", () => {
  const key = create(KeySchema, {
    id: "k1",
    name: "old",
    scopes: ["a:read"],
    tags: ["x"],
    metadata: { a: "1" },
  });

  it("masks only what changed", () => {
    const before = settingsOf(key);
    const req = updateRequest("k1", before, { ...before, name: "new ", tags: "x, y" });
    expect(req.updateMask.paths).toEqual(["name", "tags"]);
    expect(req.key).toEqual({ id: "k1", name: "new", tags: ["x", "y"] });
  });

  it("clears the expiry when the date is emptied", () => {
    const before = { ...settingsOf(key), expires: "2030-01-01" };
    const req = updateRequest("k1", before, { ...before, expires: "" });
    expect(req.updateMask.paths).toEqual(["expire_time"]);
    expect(req.key.expireTime).toBe(undefined);
  });
});

describe("usage chart geometry", () => {
  it("stacks denied on allowed, scaled to the busiest bucket", () => {
    const bars = chartBars(
      [
        { allowed: 3, denied: 1 },
        { allowed: 0, denied: 0 },
      ],
      100,
      40,
    );
    expect(bars[0]).toEqual({
      x: 0,
      width: 49,
      allowed: { y: 10, height: 30 },
      denied: { y: 0, height: 10 },
    });
    expect(bars[1]?.allowed.height).toBe(0);
  });
});
