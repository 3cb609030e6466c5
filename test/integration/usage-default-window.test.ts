import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients } from "../helpers/admin-clients.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const DAY_MS = 86_400_000;

/** GetKeyUsage without a window: the last day, ending when the call is answered. */
describe("GetKeyUsage's default window", () => {
  let t: TestApp;
  let clients: AdminClients;
  beforeAll(async () => {
    // A clock that moves a millisecond on every read, as a real one does between two reads now and then.
    let tick = Date.parse("2026-06-01T12:00:00Z");
    t = await startTestApp({ now: () => tick++ });
    clients = new AdminClients(t.adminUrl);
  });
  afterAll(async () => {
    clients?.close();
    await t?.close();
  });

  it("is exactly one day long, however the clock moves while the call is answered", async () => {
    const { secret } = await t.mintKey({ companyId: "platform", scopes: ["platform:admin"] });
    const admin = clients.client("connect-json-http1", secret);
    const { id } = await t.mintKey({ companyId: "acme" });
    const usage = await admin.getKeyUsage({ keyId: id });
    const ms = (ts: Timestamp | undefined) => (ts ? timestampDate(ts).getTime() : Number.NaN);
    expect(ms(usage.endTime) - ms(usage.startTime)).toBe(DAY_MS);
  });
});
