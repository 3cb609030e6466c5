import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../src/gen/grpc/health/v1/health_pb.js";
import { KeyAdminService } from "../../src/gen/keyward/admin/v1/key_admin_pb.js";
import { AdminClients, rpcError } from "../helpers/admin-clients.js";
import { EnvoyClient } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const run = promisify(execFile);
const BUF = "node_modules/.bin/buf";

/** The RPCs the contract names, plus any the service has grown since: reflection must list them all. */
const CONTRACT_RPCS = [
  "CreateKey",
  "GetKey",
  "ListKeys",
  "UpdateKey",
  "RotateKey",
  "SuspendKey",
  "ResumeKey",
  "RevokeKey",
  "GetKeyUsage",
  "ListAuditEvents",
];
const ADMIN_METHODS = [...new Set([...CONTRACT_RPCS, ...KeyAdminService.methods.map((m) => m.name)])].map(
  (name) => `keyward.admin.v1.KeyAdminService/${name}`,
);

let t: TestApp;
let clients: AdminClients;
let adminSecret: string;

beforeAll(async () => {
  t = await startTestApp();
  clients = new AdminClients(t.adminUrl);
  adminSecret = (await t.mintKey({ companyId: "probe-co", scopes: ["keys:admin"] })).secret;
});
afterAll(async () => {
  clients.close();
  await t.close();
});

const bufCurl = async (...args: string[]) => (await run(BUF, ["curl", ...args], { timeout: 20_000 })).stdout;

describe("server reflection on the admin listener", () => {
  it("lists every KeyAdminService method to buf curl over Connect and HTTP/1.1", async () => {
    const methods = (await bufCurl("--list-methods", t.adminUrl)).split("\n").filter(Boolean);
    for (const m of ADMIN_METHODS) expect(methods).toContain(m);
    expect(methods).toContain("grpc.health.v1.Health/Check");
  });

  it("lists every KeyAdminService method to buf curl over gRPC and h2c", async () => {
    const out = await bufCurl("--list-methods", "--protocol", "grpc", "--http2-prior-knowledge", t.adminUrl);
    const methods = out.split("\n").filter(Boolean);
    for (const m of ADMIN_METHODS) expect(methods).toContain(m);
  });

  it("lists the services to buf curl over gRPC-Web", async () => {
    const services = (await bufCurl("--protocol", "grpcweb", "--list-services", t.adminUrl)).split("\n");
    expect(services).toContain("keyward.admin.v1.KeyAdminService");
  });

  it("describes the messages well enough for buf curl to call an RPC from JSON", async () => {
    const out = await bufCurl(
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "-H",
      `authorization: Bearer ${adminSecret}`,
      "--data",
      JSON.stringify({ name: "made by buf curl", scopes: ["reports:read"], ttl: "3600s" }),
      `${t.adminUrl}/keyward.admin.v1.KeyAdminService/CreateKey`,
    );
    const reply = JSON.parse(out) as { key: { id: string; name: string; scopes: string[] }; secret: string };
    expect(reply.key.name).toBe("made by buf curl");
    expect(reply.key.scopes).toEqual(["reports:read"]);
    expect(reply.secret).toMatch(/^sk_live_/);
    const got = await clients.client("connect-json-http1", adminSecret).getKey({ keyId: reply.key.id });
    expect(got.name).toBe("made by buf curl");
  });
});

describe("grpc.health.v1 on the admin listener", () => {
  const sessions: Http2SessionManager[] = [];
  afterAll(() => {
    for (const s of sessions) s.abort();
  });

  const transports = () => {
    const sessionManager = new Http2SessionManager(t.adminUrl);
    sessions.push(sessionManager);
    return {
      connect: createConnectTransport({ baseUrl: t.adminUrl, httpVersion: "1.1" }),
      grpc: createGrpcTransport({ baseUrl: t.adminUrl, sessionManager }),
      grpcWeb: createGrpcWebTransport({ baseUrl: t.adminUrl, httpVersion: "1.1" }),
    };
  };

  it("answers SERVING for the server and for KeyAdminService, without credentials", async () => {
    for (const [name, transport] of Object.entries(transports())) {
      const health = createClient(Health, transport);
      expect((await health.check({ service: "" })).status, name).toBe(
        HealthCheckResponse_ServingStatus.SERVING,
      );
      expect((await health.check({ service: KeyAdminService.typeName })).status, name).toBe(
        HealthCheckResponse_ServingStatus.SERVING,
      );
    }
  });

  it("answers NOT_FOUND for a service it does not serve", async () => {
    const health = createClient(Health, transports().grpc);
    const err = await rpcError(health.check({ service: "no.such.Service" }));
    expect(err.code).toBe(5);
  });
});

describe("HTTP probes on the admin listener", () => {
  it("GET /healthz answers 200 and says admin auth is on", async () => {
    const res = await fetch(`${t.adminUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toMatchObject({ status: "ok", admin_auth: "on" });
  });

  it('GET /readyz answers 200 {"status":"ready"} once migrated', async () => {
    const res = await fetch(`${t.adminUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready" });
  });

  it("GET /metrics answers Prometheus text with Check and admin counters", async () => {
    const envoy = new EnvoyClient(t.authzAddress);
    try {
      const { secret } = await t.mintKey({ companyId: "probe-co" });
      expect((await envoy.check({ headers: { authorization: `Bearer ${secret}` } })).status.code).toBe(0);
    } finally {
      envoy.close();
    }
    await clients.client("connect-json-http1", adminSecret).listKeys({});
    const res = await fetch(`${t.adminUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain("# TYPE keyward_checks_total counter");
    expect(text).toMatch(/^keyward_checks_total\{outcome="allow",protocol="grpc"\} [1-9]/m);
    expect(text).toMatch(/^keyward_admin_calls_total\{method="ListKeys",code="ok"\} [1-9]/m);
  });

  it("answers 404 for other paths and for POSTs to the probes", async () => {
    expect((await fetch(`${t.adminUrl}/nope`)).status).toBe(404);
    expect((await fetch(`${t.adminUrl}/healthz`, { method: "POST", body: "{}" })).status).toBe(404);
  });
});
