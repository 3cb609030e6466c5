import * as http from "node:http";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, rpcError, TRANSPORTS } from "../helpers/admin-clients.js";
import { deniedBody, EnvoyClient } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

let t: TestApp;
let clients: AdminClients;

beforeAll(async () => {
  t = await startTestApp({ dev: true });
  clients = new AdminClients(t.adminUrl);
});
afterAll(async () => {
  clients.close();
  await t.close();
});

describe.each(TRANSPORTS)("--dev admin API over %s", (transport) => {
  const company = `dev-${transport}`;

  it("accepts calls without an authorization header, acting for every company", async () => {
    const anonymous = clients.client(transport, null);
    const { key, secret } = await anonymous.createKey({ companyId: company, name: "made in dev" });
    expect(secret).toMatch(/^sk_live_/);
    expect((await anonymous.getKey({ keyId: key?.id ?? "" })).name).toBe("made in dev");
    expect((await anonymous.listKeys({ companyId: company })).keys.map((k) => k.id)).toEqual([key?.id]);
    const { key: platformKey } = await anonymous.createKey({ companyId: "root", scopes: ["platform:admin"] });
    expect(platformKey?.scopes).toEqual(["platform:admin"]);
  });

  it('records the actor as "dev"', async () => {
    const anonymous = clients.client(transport, null);
    const { key } = await anonymous.createKey({ companyId: company });
    const { events } = await anonymous.listAuditEvents({ keyId: key?.id ?? "" });
    expect(events.map((e) => [e.action, e.actor])).toEqual([["key.create", "dev"]]);
  });

  it("still refuses a credential that is presented and bad", async () => {
    const err = await rpcError(
      clients.clientWithHeaders(transport, { authorization: "Bearer nope" }).listKeys({}),
    );
    expect(err.code).toBe(Code.Unauthenticated);
    const user = await t.mintKey({ companyId: company, scopes: ["*"] });
    expect((await rpcError(clients.client(transport, user.secret).listKeys({}))).code).toBe(
      Code.PermissionDenied,
    );
  });

  it("still isolates a company admin that presents its key", async () => {
    const other = await clients.client(transport, null).createKey({ companyId: `${company}-other` });
    const admin = clients.client(
      transport,
      (await t.mintKey({ companyId: company, scopes: ["keys:admin"] })).secret,
    );
    expect((await rpcError(admin.getKey({ keyId: other.key?.id ?? "" }))).code).toBe(Code.NotFound);
  });
});

describe("--dev", () => {
  it("says so on /healthz", async () => {
    expect(await (await fetch(`${t.adminUrl}/healthz`)).json()).toMatchObject({ admin_auth: "dev" });
  });

  it("warns loudly in the log", () => {
    expect(t.logs.some((l) => l.includes('"level":40') && l.includes("WITHOUT an admin key"))).toBe(true);
  });

  it("never weakens Check: no key is still missing_key", async () => {
    const envoy = new EnvoyClient(t.authzAddress);
    try {
      const res = await envoy.check({});
      expect(res.status.code).toBe(16);
      expect(deniedBody(res).error.code).toBe("missing_key");
    } finally {
      envoy.close();
    }
  });
});

describe("--dev answers only this machine's pages (DNS rebinding)", () => {
  /** An HTTP/1.1 GET /healthz with exactly these headers; the status it got. */
  function get(headers: Record<string, string>): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port: t.app.admin.port, path: "/healthz", headers, setHost: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  it("refuses a foreign Host and a foreign Origin", async () => {
    expect(await get({ host: "attacker.example" })).toBe(403);
    expect(await get({ host: "attacker.example:8181" })).toBe(403);
    expect(await get({ host: "127.0.0.1.attacker.example" })).toBe(403);
    // No Host at all: Node's HTTP/1.1 server refuses it (400) before Keyward sees it.
    expect(await get({})).toBe(400);
    expect(await get({ host: "127.0.0.1", origin: "https://attacker.example" })).toBe(403);
    expect(await get({ host: "localhost", origin: "null" })).toBe(403);
  });

  it("answers loopback Hosts and same-machine Origins", async () => {
    for (const host of ["127.0.0.1", `127.0.0.1:${t.app.admin.port}`, "localhost:8181", "[::1]:8181"]) {
      expect(await get({ host }), host).toBe(200);
    }
    expect(await get({ host: "localhost", origin: "http://localhost:5173" })).toBe(200);
  });

  it("refuses a keyless RPC sent with a foreign Host", async () => {
    const res = await fetch(`${t.adminUrl}/keyward.admin.v1.KeyAdminService/ListKeys`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://attacker.example" },
      body: "{}",
    });
    expect(res.status).toBe(403);
  });
});
