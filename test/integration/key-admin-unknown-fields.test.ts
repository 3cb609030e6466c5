import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postConnectJson } from "../helpers/admin-clients.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await startTestApp();
  admin = (await t.mintKey({ companyId: "strict", scopes: ["keys:admin"] })).secret;
});
afterAll(async () => {
  await t.close();
});

interface ConnectErrorJson {
  code: string;
  message: string;
}

async function listNames(): Promise<string[]> {
  const res = await postConnectJson(t.adminUrl, "ListKeys", {}, admin);
  expect(res.status).toBe(200);
  return ((res.body as { keys?: { name: string }[] }).keys ?? []).map((k) => k.name);
}

describe("Connect JSON with fields the message does not have", () => {
  it("refuses misspelled CreateKey fields, naming each one and the likely intended name, and creates nothing", async () => {
    const res = await postConnectJson(
      t.adminUrl,
      "CreateKey",
      { name: "typo", expires: "2030-01-01T00:00:00Z", scope: ["reports:read"] },
      admin,
    );
    expect(res.status).toBe(400);
    const body = res.body as ConnectErrorJson;
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toContain("expires: unknown field");
    expect(body.message).toContain('scope: unknown field (did you mean "scopes"?)');
    expect(await listNames()).not.toContain("typo");
  });

  it("names an unknown field inside a nested message by its path", async () => {
    const created = await postConnectJson(t.adminUrl, "CreateKey", { name: "nested" }, admin);
    const id = (created.body as { key: { id: string } }).key.id;
    const res = await postConnectJson(
      t.adminUrl,
      "UpdateKey",
      { key: { id, scope: ["a:read"] }, updateMask: "scopes" },
      admin,
    );
    expect(res.status).toBe(400);
    expect((res.body as ConnectErrorJson).message).toContain("key.scope: unknown field");
  });

  it("says durations are seconds when a ttl is written like a CLI flag", async () => {
    const res = await postConnectJson(t.adminUrl, "CreateKey", { name: "ttl-days", ttl: "30d" }, admin);
    expect(res.status).toBe(400);
    const body = res.body as ConnectErrorJson;
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toContain("ttl:");
    expect(body.message).toContain('"2592000s" for 30d');
    expect(await listNames()).not.toContain("ttl-days");
  });

  it("still accepts a well-formed request, proto field names included", async () => {
    const res = await postConnectJson(
      t.adminUrl,
      "CreateKey",
      { name: "fine", ttl: "2592000s", ip_allowlist: ["10.0.0.0/8"] },
      admin,
    );
    expect(res.status).toBe(200);
    expect((res.body as { key: { ipAllowlist: string[] } }).key.ipAllowlist).toEqual(["10.0.0.0/8"]);
  });

  it("refuses unknown fields over gRPC-Web JSON too", async () => {
    const res = await fetch(`${t.adminUrl}/keyward.admin.v1.KeyAdminService/CreateKey`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+json", authorization: `Bearer ${admin}` },
      body: grpcWebFrame(JSON.stringify({ name: "web", expires: "soon" })),
    });
    const text = Buffer.from(await res.arrayBuffer()).toString("latin1");
    expect(text).toMatch(/grpc-status: ?3\r\n/);
    expect(text).toContain("expires");
    expect(await listNames()).not.toContain("web");
  });
});

function grpcWebFrame(json: string): Uint8Array<ArrayBuffer> {
  const payload = Buffer.from(json);
  const frame = Buffer.alloc(5 + payload.length);
  frame.writeUInt32BE(payload.length, 1);
  payload.copy(frame, 5);
  return new Uint8Array(frame);
}
