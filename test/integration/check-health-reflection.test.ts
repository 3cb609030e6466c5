import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthCheck } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const run = promisify(execFile);
const BUF = join(process.cwd(), "node_modules", ".bin", "buf");

/** Runs `buf curl` over h2c against the authz listener; reflection supplies the schema. */
async function bufCurl(args: string[]): Promise<string> {
  const { stdout } = await run(BUF, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], {
    timeout: 30_000,
  });
  return stdout;
}

describe("authz listener health and reflection", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it("answers SERVING for the whole server and for the Authorization service", async () => {
    expect(await healthCheck(t.authzAddress, "")).toBe("SERVING");
    expect(await healthCheck(t.authzAddress, "envoy.service.auth.v3.Authorization")).toBe("SERVING");
  });

  it("answers NOT_FOUND for a service it does not serve", async () => {
    const err = await healthCheck(t.authzAddress, "no.such.Service").then(
      () => null,
      (e: ServiceError) => e,
    );
    expect(err?.code).toBe(5);
  });

  it("lists envoy.service.auth.v3.Authorization/Check through server reflection (buf curl)", async () => {
    const out = await bufCurl(["--list-methods", `http://${t.authzAddress}`]);
    const methods = out.split("\n").filter(Boolean);
    expect(methods).toContain("envoy.service.auth.v3.Authorization/Check");
    expect(methods).toContain("grpc.health.v1.Health/Check");
  });

  it("lists the same methods over v1alpha reflection", async () => {
    const out = await bufCurl([
      "--reflect-protocol",
      "grpc-v1alpha",
      "--list-methods",
      `http://${t.authzAddress}`,
    ]);
    expect(out.split("\n")).toContain("envoy.service.auth.v3.Authorization/Check");
  });

  it("serves descriptors complete enough for buf curl to call Check and read the denial", async () => {
    const request = { attributes: { request: { http: { method: "GET", path: "/", headers: {} } } } };
    const out = await bufCurl([
      "-d",
      JSON.stringify(request),
      `http://${t.authzAddress}/envoy.service.auth.v3.Authorization/Check`,
    ]);
    const res = JSON.parse(out) as {
      status: { code: number };
      deniedResponse: { status: { code: string }; body: string };
    };
    expect(res.status.code).toBe(16);
    expect(res.deniedResponse.status.code).toBe("Unauthorized");
    expect(JSON.parse(res.deniedResponse.body)).toMatchObject({ error: { code: "missing_key" } });
  });
});
