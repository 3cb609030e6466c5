import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, type KeyAdminClient } from "../helpers/admin-clients.js";
import {
  deniedBody,
  deniedHttpStatus,
  EnvoyClient,
  type EnvoyRequest,
  type EnvoyResponse,
  metadataField,
  okHeaders,
} from "../helpers/envoy-client.js";
import { eventually } from "../helpers/hot-path.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * Check for credentials that act for several companies, end to end: keys and users made through the KeyAdmin
 * API, requests encoded with Envoy's own protos. The acting company is what the upstream is told.
 */

const COMPANY_PATH = "path:/v1/companies/{company}/**";
const SELECTOR = "x-keyward-company";

let t: TestApp;
let envoy: EnvoyClient;
let clients: AdminClients;
let platform: KeyAdminClient;

beforeAll(async () => {
  t = await startTestApp();
  envoy = new EnvoyClient(t.authzAddress);
  clients = new AdminClients(t.adminUrl);
  const admin = await t.mintKey({ companyId: "keyward", scopes: ["platform:admin"] });
  platform = clients.client("connect-json-http1", admin.secret);
});
afterAll(async () => {
  envoy.close();
  clients.close();
  await t.close();
});

/** Sends one Check with `secret` as a bearer key, plus `company` in the selector header when given. */
function check(secret: string, company: string | null, extra: EnvoyRequest = {}): Promise<EnvoyResponse> {
  const headers: Record<string, string> = { authorization: `Bearer ${secret}`, ...extra.headers };
  if (company !== null) headers[SELECTOR] = company;
  return envoy.check({ path: "/v1/candidates", ...extra, headers });
}

/** "allow:<acting company>" or the denial code. */
function outcome(res: EnvoyResponse): string {
  return res.status.code === 0
    ? `allow:${okHeaders(res)["x-keyward-company-id"]}`
    : deniedBody(res).error.code;
}

async function checkOutcome(secret: string, company: string | null, extra: EnvoyRequest = {}) {
  return outcome(await check(secret, company, extra));
}

/** Polls until Check answers `expected` (a change reaching the key cache), for at most 1 s. */
function answers(secret: string, company: string | null, expected: string, extra: EnvoyRequest = {}) {
  return eventually(async () => (await checkOutcome(secret, company, extra)) === expected, {
    what: `Check answering ${expected}`,
  });
}

/** A denial with Envoy's HTTP 403 and gRPC PERMISSION_DENIED, carrying `code`. */
function expectForbidden(res: EnvoyResponse, code: string): void {
  expect(res.status.code).toBe(7);
  expect(deniedHttpStatus(res)).toBe(403);
  expect(deniedBody(res).error.code).toBe(code);
  expect(res.ok_response).toBeFalsy();
}

describe("integration keys", () => {
  let secret: string;
  let id: string;

  beforeAll(async () => {
    const created = await platform.createKey({
      companyId: "keyward",
      kind: "integration",
      companyIds: ["acme", "globex"],
      name: "payroll sync",
      scopes: ["candidates:read"],
    });
    secret = created.secret;
    id = created.key?.id as string;
    expect(created.key?.kind).toBe("integration");
    expect(created.key?.companyIds).toEqual(["acme", "globex"]);
  });

  it("without x-keyward-company: 403 company_required", async () => {
    expectForbidden(await check(secret, null), "company_required");
  });

  it("acting for a listed company: allow, telling the upstream that company in headers and metadata", async () => {
    const res = await check(secret, "acme", { contextExtensions: { scopes: "candidates:read" } });
    expect(res.status.code).toBe(0);
    expect(okHeaders(res)).toEqual({
      "x-keyward-key-id": id,
      "x-keyward-company-id": "acme",
      "x-keyward-scopes": "candidates:read",
      "x-keyward-environment": "live",
    });
    expect(metadataField(res, "company_id")).toBe("acme");
    expect(metadataField(res, "key_id")).toBe(id);
    expect([...(res.ok_response?.headers_to_remove ?? [])].sort()).toEqual(["authorization", "x-api-key"]);
  });

  it("answers each request for the company it names, however they interleave", async () => {
    const order = ["acme", "globex", "acme", "globex", "globex", "acme"];
    const answered = [];
    for (const company of order) {
      const res = await check(secret, company);
      answered.push([okHeaders(res)["x-keyward-company-id"], metadataField(res, "company_id")]);
    }
    expect(answered).toEqual(order.map((c) => [c, c]));
  });

  it("for a company it does not list (the owner's own included): 403 company_forbidden", async () => {
    expectForbidden(await check(secret, "initech"), "company_forbidden");
    expectForbidden(await check(secret, "keyward"), "company_forbidden");
    expectForbidden(await check(secret, "ACME"), "company_forbidden");
  });

  it("two selector headers naming two companies: company_forbidden, never one of them", async () => {
    const res = await envoy.check({
      rawHeaders: [
        ["authorization", `Bearer ${secret}`],
        [SELECTOR, "acme"],
        [SELECTOR, "globex"],
      ],
    });
    expectForbidden(res, "company_forbidden");
  });

  it("company_from in the path must agree with the header", async () => {
    const route = { contextExtensions: { company_from: COMPANY_PATH } };
    const inPath = (company: string) => ({ ...route, path: `/v1/companies/${company}/candidates` });
    expectForbidden(await check(secret, "acme", inPath("globex")), "company_forbidden");
    expectForbidden(await check(secret, "globex", inPath("acme")), "company_forbidden");
    expect(await checkOutcome(secret, "globex", inPath("globex"))).toBe("allow:globex");
    expect(await checkOutcome(secret, "acme", inPath("acme"))).toBe("allow:acme");
    // The path alone does not choose: an integration key must always name its company.
    expectForbidden(await check(secret, null, inPath("acme")), "company_required");
    expectForbidden(await check(secret, "initech", inPath("initech")), "company_forbidden");
  });

  it("company_from in another header must agree with the selector too", async () => {
    const route = { contextExtensions: { company_from: "header:x-org" } };
    expect(await checkOutcome(secret, "acme", { ...route, headers: { "x-org": "acme" } })).toBe("allow:acme");
    expect(await checkOutcome(secret, "acme", { ...route, headers: { "x-org": "globex" } })).toBe(
      "company_forbidden",
    );
    expect(await checkOutcome(secret, "acme", route)).toBe("company_required");
  });

  it("accepts the key in x-api-key with the selector", async () => {
    const res = await envoy.check({ headers: { "x-api-key": secret, [SELECTOR]: "globex" } });
    expect(outcome(res)).toBe("allow:globex");
  });

  it("a client-sent x-keyward-company-id is overwritten with the acting company", async () => {
    const res = await check(secret, "globex", { headers: { "x-keyward-company-id": "acme" } });
    const identity = (res.ok_response?.headers ?? []).filter((h) => h.header.key === "x-keyward-company-id");
    expect(identity.map((h) => [h.header.value, h.append_action])).toEqual([
      ["globex", "OVERWRITE_IF_EXISTS_OR_ADD"],
    ]);
  });
});

describe("user tokens", () => {
  let secret: string;
  const user = "principals-check-u1";

  beforeAll(async () => {
    await platform.createUser({ user: { id: user, name: "Ada", defaultCompanyId: "acme" } });
    await platform.addMembership({ userId: user, companyId: "globex", scopes: ["*"] });
    const created = await platform.createKey({ kind: "user", userId: user, scopes: ["candidates:read"] });
    secret = created.secret;
    expect(created.key?.companyId).toBe("acme");
    expect(created.key?.userId).toBe(user);
  });

  it("without x-keyward-company: acts for the user's default company", async () => {
    const res = await check(secret, null);
    expect(res.status.code).toBe(0);
    expect(okHeaders(res)["x-keyward-company-id"]).toBe("acme");
    expect(metadataField(res, "company_id")).toBe("acme");
  });

  it("with the header: acts for the default company or another membership", async () => {
    expect(await checkOutcome(secret, "acme")).toBe("allow:acme");
    const res = await check(secret, "globex");
    expect(okHeaders(res)["x-keyward-company-id"]).toBe("globex");
    expect(metadataField(res, "company_id")).toBe("globex");
  });

  it("for a company the user does not belong to: 403 company_forbidden", async () => {
    expectForbidden(await check(secret, "initech"), "company_forbidden");
  });

  it("company_from must agree with the acting company, header or default", async () => {
    const inPath = (company: string) => ({
      contextExtensions: { company_from: COMPANY_PATH },
      path: `/v1/companies/${company}/candidates`,
    });
    expect(await checkOutcome(secret, "globex", inPath("globex"))).toBe("allow:globex");
    expect(await checkOutcome(secret, null, inPath("acme"))).toBe("allow:acme");
    expect(await checkOutcome(secret, null, inPath("globex"))).toBe("company_forbidden");
    expect(await checkOutcome(secret, "acme", inPath("globex"))).toBe("company_forbidden");
  });

  it("a company the user left is denied, the others still work; joining again works again", async () => {
    expect(await checkOutcome(secret, "globex")).toBe("allow:globex");
    await platform.removeMembership({ userId: user, companyId: "globex" });
    await answers(secret, "globex", "company_forbidden");
    expect(await checkOutcome(secret, null)).toBe("allow:acme");
    await platform.addMembership({ userId: user, companyId: "globex", scopes: ["*"] });
    await answers(secret, "globex", "allow:globex");
  });

  it("a user who left the default company: denied without the header, still allowed for a membership", async () => {
    const other = "principals-check-u2";
    await platform.createUser({ user: { id: other, defaultCompanyId: "acme" } });
    await platform.addMembership({ userId: other, companyId: "globex", scopes: ["*"] });
    const token = (await platform.createKey({ kind: "user", userId: other })).secret;
    expect(await checkOutcome(token, null)).toBe("allow:acme");
    await platform.removeMembership({ userId: other, companyId: "acme" });
    await answers(token, null, "company_forbidden");
    expect(await checkOutcome(token, "acme")).toBe("company_forbidden");
    expect(await checkOutcome(token, "globex")).toBe("allow:globex");
  });

  it("a newly added membership reaches a token already cached", async () => {
    expect(await checkOutcome(secret, "initech")).toBe("company_forbidden");
    expect(await checkOutcome(secret, null)).toBe("allow:acme");
    await platform.addMembership({ userId: user, companyId: "initech", scopes: ["*"] });
    await answers(secret, "initech", "allow:initech");
  });
});

describe("ordinary keys behave as before", () => {
  let secret: string;

  beforeAll(async () => {
    secret = (await platform.createKey({ companyId: "acme", scopes: ["candidates:read"] })).secret;
  });

  it("act for their own company with or without a matching selector", async () => {
    expect(await checkOutcome(secret, null)).toBe("allow:acme");
    expect(await checkOutcome(secret, "acme")).toBe("allow:acme");
  });

  it("refuse a selector naming another company", async () => {
    expectForbidden(await check(secret, "globex"), "company_forbidden");
  });

  it("follow company_from as before", async () => {
    const route = { contextExtensions: { company_from: COMPANY_PATH } };
    expect(await checkOutcome(secret, null, { ...route, path: "/v1/companies/acme/x" })).toBe("allow:acme");
    expect(await checkOutcome(secret, null, { ...route, path: "/v1/companies/globex/x" })).toBe(
      "company_forbidden",
    );
    expect(await checkOutcome(secret, null, { ...route, path: "/v2/other" })).toBe("company_required");
  });

  it("ignore memberships: a user's companies never extend a standard key of the same company", async () => {
    await platform.createUser({ user: { id: "principals-check-u3", defaultCompanyId: "acme" } });
    await platform.addMembership({ userId: "principals-check-u3", companyId: "globex", scopes: ["*"] });
    expect(await checkOutcome(secret, "globex")).toBe("company_forbidden");
  });
});
