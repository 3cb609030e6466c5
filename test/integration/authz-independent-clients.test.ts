import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDebianPackages } from "../helpers/debian-packages.js";
import {
  EnvoyClient,
  encodeCheckRequest,
  healthCheck,
  okHeaders,
  rawUnaryCall,
} from "../helpers/envoy-client.js";
import { grpcFrame } from "../helpers/raw-grpc.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const run = promisify(execFile);
const BUF = join(process.cwd(), "node_modules", ".bin", "buf");

/** `keyward_checks_total` of gRPC Checks by outcome, from the admin listener's /metrics. */
async function checkOutcomes(t: TestApp): Promise<Record<string, number>> {
  const text = await (await fetch(`${t.adminUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^keyward_checks_total\{outcome="([^"]+)",protocol="grpc"\} (\d+)/gm))
    out[m[1] as string] = Number(m[2]);
  return out;
}

/** Runs h2load and returns its "requests:" counts. */
async function h2load(
  url: string,
  bodyFile: string,
  n: number,
): Promise<{ succeeded: number; failed: number; errored: number }> {
  const { stdout } = await run(
    "h2load",
    [
      "-n",
      String(n),
      "-c",
      "4",
      "-m",
      "16",
      "-H",
      "content-type: application/grpc",
      "-H",
      "te: trailers",
      "-d",
      bodyFile,
      url,
    ],
    { timeout: 60_000 },
  );
  const m = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(
    stdout,
  );
  if (!m) throw new Error(`cannot read h2load's output:\n${stdout}`);
  return { succeeded: Number(m[1]), failed: Number(m[2]), errored: Number(m[3]) };
}

describe("authz listener with independent clients", () => {
  let t: TestApp;
  let dir: string;
  let acme: { secret: string; id: string };

  beforeAll(async () => {
    ensureDebianPackages("h2load=nghttp2-client");
    t = await startTestApp();
    dir = mkdtempSync(join(tmpdir(), "keyward-h2load-"));
    acme = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"] });
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it("h2load (nghttp2): 2,000 Checks on 4 connections x 16 streams, every one answered and allowed", async () => {
    const body = join(dir, "check.bin");
    writeFileSync(
      body,
      grpcFrame(encodeCheckRequest({ headers: { authorization: `Bearer ${acme.secret}` } })),
    );
    const before = (await checkOutcomes(t)).allow ?? 0;
    const result = await h2load(
      `http://${t.authzAddress}/envoy.service.auth.v3.Authorization/Check`,
      body,
      2000,
    );
    expect(result).toEqual({ succeeded: 2000, failed: 0, errored: 0 });
    expect(((await checkOutcomes(t)).allow ?? 0) - before).toBe(2000);
  });

  it("h2load (nghttp2): 500 health checks, every one answered", async () => {
    const body = join(dir, "health.bin");
    writeFileSync(body, grpcFrame(Buffer.alloc(0)));
    const result = await h2load(`http://${t.authzAddress}/grpc.health.v1.Health/Check`, body, 500);
    expect(result).toEqual({ succeeded: 500, failed: 0, errored: 0 });
  });

  it("buf curl (connect-go's gRPC client): Health/Check answers SERVING", async () => {
    const { stdout } = await run(
      BUF,
      [
        "curl",
        "--protocol",
        "grpc",
        "--http2-prior-knowledge",
        "-d",
        "{}",
        `http://${t.authzAddress}/grpc.health.v1.Health/Check`,
      ],
      { timeout: 30_000 },
    );
    expect(JSON.parse(stdout)).toEqual({ status: "SERVING" });
  });

  it("grpc-js: an unknown method is UNIMPLEMENTED, with grpc-message decoded back to the path", async () => {
    const path = "/no.such.Service/100%-caf\u00e9";
    const err = await rawUnaryCall(t.authzAddress, path, Buffer.alloc(0)).then(
      () => null,
      (e: ServiceError) => e,
    );
    expect(err?.code).toBe(12);
    expect(err?.details).toBe(`unknown method ${path}`);
  });

  it("grpc-js with gzip request compression: Checks are decompressed and allowed", async () => {
    const envoy = new EnvoyClient(t.authzAddress, 5000, { "grpc.default_compression_algorithm": 2 });
    try {
      const res = await envoy.check({ headers: { authorization: `Bearer ${acme.secret}` } });
      expect(res.status.code).toBe(0);
      expect(okHeaders(res)["x-keyward-key-id"]).toBe(acme.id);
    } finally {
      envoy.close();
    }
  });

  it("grpc-js: Health/Check for the Authorization service answers SERVING", async () => {
    expect(await healthCheck(t.authzAddress, "envoy.service.auth.v3.Authorization")).toBe("SERVING");
  });
});
