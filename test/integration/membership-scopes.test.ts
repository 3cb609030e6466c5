import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, invalidFields, type KeyAdminClient, rpcError } from "../helpers/admin-clients.js";
import {
  EnvoyClient,
  type EnvoyResponse,
  metadataField,
  okHeaders,
  outcomeCode,
} from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * Membership scopes: a company that adds someone else's user grants that user's tokens what they may do when
 * acting for it. The user's default company (which owns the tokens) cannot reach beyond that grant.
 */

let t: TestApp;
let envoy: EnvoyClient;
let clients: AdminClients;
/** Admin clients of company a.example (creates bob) and b.example (adds bob as a member). */
let adminA: KeyAdminClient;
let adminB: KeyAdminClient;

beforeAll(async () => {
  t = await startTestApp();
  envoy = new EnvoyClient(t.authzAddress);
  clients = new AdminClients(t.adminUrl);
  adminA = clients.client(
    "connect-json-http1",
    (await t.mintKey({ companyId: "a", scopes: ["keys:admin"] })).secret,
  );
  adminB = clients.client("grpc-h2c", (await t.mintKey({ companyId: "b", scopes: ["keys:admin"] })).secret);
  await adminA.createUser({ user: { id: "bob@b.example", name: "Bob", defaultCompanyId: "a" } });
});
afterAll(async () => {
  envoy.close();
  clients.close();
  await t.close();
});

function check(secret: string, company: string, scopes: string): Promise<EnvoyResponse> {
  return envoy.check({
    path: "/v1/things",
    headers: { authorization: `Bearer ${secret}`, "x-keyward-company": company },
    contextExtensions: scopes ? { scopes } : {},
  });
}

describe("AddMembership", () => {
  it("requires scopes and refuses the reserved admin scopes", async () => {
    expect(await invalidFields(adminB.addMembership({ userId: "bob@b.example", companyId: "b" }))).toContain(
      "scopes",
    );
    for (const reserved of ["keys:admin", "platform:admin"]) {
      const fields = await invalidFields(
        adminB.addMembership({ userId: "bob@b.example", companyId: "b", scopes: [reserved] }),
      );
      expect(fields).toContain("scopes");
    }
    expect(
      await invalidFields(
        adminB.addMembership({ userId: "bob@b.example", companyId: "b", scopes: ["Bad Scope"] }),
      ),
    ).toContain("scopes[0]");
  });

  it("answers with the scopes granted and the user's default company, so b sees whose user it adds", async () => {
    const m = await adminB.addMembership({
      userId: "bob@b.example",
      companyId: "b",
      scopes: ["candidates:read"],
    });
    expect(m).toMatchObject({ userId: "bob@b.example", companyId: "b", defaultCompanyId: "a" });
    expect(m.scopes).toEqual(["candidates:read"]);
    expect((await adminB.getUser({ userId: "bob@b.example" })).defaultCompanyId).toBe("a");
  });

  it("lists the scopes of each membership; the default company's holds *", async () => {
    const { memberships } = await adminA.listMemberships({ userId: "bob@b.example" });
    expect(memberships.map((m) => [m.companyId, m.scopes, m.defaultCompanyId])).toEqual([["a", ["*"], "a"]]);
    const ofB = await adminB.listMemberships({ companyId: "b" });
    expect(ofB.memberships.map((m) => [m.userId, m.scopes, m.defaultCompanyId])).toEqual([
      ["bob@b.example", ["candidates:read"], "a"],
    ]);
  });
});

describe("CreateKey for another company's user", () => {
  it("is answered as for a user that does not exist, naming no company", async () => {
    const missing = await rpcError(adminB.createKey({ kind: "user", userId: "nobody@nowhere.example" }));
    const other = await rpcError(adminB.createKey({ kind: "user", userId: "bob@b.example" }));
    expect(other.code).toBe(Code.InvalidArgument);
    expect(other.rawMessage).toBe(missing.rawMessage.replace("nobody@nowhere.example", "bob@b.example"));
    expect(other.rawMessage).not.toMatch(/\ba\b|company/);
  });
});

describe("a token of bob's default company acting for b", () => {
  let secret: string;

  beforeAll(async () => {
    secret = (await adminA.createKey({ kind: "user", userId: "bob@b.example", scopes: ["*"] })).secret;
  });

  it("holds only what b granted", async () => {
    expect(outcomeCode(await check(secret, "b", "candidates:read"))).toBe("allow");
    expect(outcomeCode(await check(secret, "b", "candidates:write"))).toBe("insufficient_scope");
    expect(outcomeCode(await check(secret, "b", "jobs:read"))).toBe("insufficient_scope");
  });

  it("tells the upstream the intersection, in the header and the dynamic metadata", async () => {
    const res = await check(secret, "b", "");
    expect(okHeaders(res)["x-keyward-scopes"]).toBe("candidates:read");
    expect(metadataField(res, "scopes")).toBe("candidates:read");
  });

  it("acts for its own default company with its own scopes", async () => {
    const res = await check(secret, "a", "candidates:write");
    expect(outcomeCode(res)).toBe("allow");
    expect(okHeaders(res)["x-keyward-scopes"]).toBe("*");
  });

  it("loses b's grant when the membership is removed", async () => {
    await adminB.removeMembership({ userId: "bob@b.example", companyId: "b" });
    await expect
      .poll(async () => outcomeCode(await check(secret, "b", "")), { timeout: 2000 })
      .toBe("company_forbidden");
    const err = await rpcError(adminB.getUser({ userId: "bob@b.example" }));
    expect(err.code).toBe(Code.NotFound);
  });
});
