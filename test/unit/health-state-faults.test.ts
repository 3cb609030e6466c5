import { describe, expect, it } from "vitest";
import { HealthState, ServingStatus } from "../../src/rpc/health.js";

const AUTHZ = "envoy.service.auth.v3.Authorization";
const ADMIN = "keyward.admin.v1.KeyAdminService";

describe("HealthState", () => {
  it("is NOT_SERVING while any fault is on, whatever the process says, and SERVING again after", () => {
    const h = new HealthState([AUTHZ, ADMIN]);
    const heard: [string, ServingStatus][] = [];
    h.on("change", (s, status) => heard.push([s, status]));
    h.setAll(ServingStatus.SERVING);
    h.setFault("database", true);
    expect(h.get(AUTHZ)).toBe(ServingStatus.NOT_SERVING);
    h.setAll(ServingStatus.SERVING);
    expect(h.get("")).toBe(ServingStatus.NOT_SERVING);
    h.setFault("database", false);
    expect(h.get(AUTHZ)).toBe(ServingStatus.SERVING);
    // Watchers hear changes only: SERVING, NOT_SERVING, SERVING for each of the three names.
    expect(heard.filter(([s]) => s === AUTHZ).map(([, st]) => st)).toEqual([
      ServingStatus.SERVING,
      ServingStatus.NOT_SERVING,
      ServingStatus.SERVING,
    ]);
  });

  it("stays NOT_SERVING after shutdown began even when a fault clears", () => {
    const h = new HealthState([AUTHZ]);
    h.setAll(ServingStatus.SERVING);
    h.setFault("database", true);
    h.setAll(ServingStatus.NOT_SERVING);
    h.setFault("database", false);
    expect(h.get(AUTHZ)).toBe(ServingStatus.NOT_SERVING);
  });

  it("gives each listener a view of the services it serves: others are not found there", () => {
    const h = new HealthState([AUTHZ, ADMIN]);
    h.setAll(ServingStatus.SERVING);
    const authz = h.view([AUTHZ]);
    expect(authz.get(AUTHZ)).toBe(ServingStatus.SERVING);
    expect(authz.get("")).toBe(ServingStatus.SERVING);
    expect(authz.get(ADMIN)).toBeUndefined();
    expect([...authz.all().keys()].sort()).toEqual(["", AUTHZ]);
  });
});
