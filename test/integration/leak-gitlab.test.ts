import { describe, expect, it } from "vitest";
import { generateKey } from "../../src/keys/format.js";
import { useLeakApp } from "../helpers/leak-reports.js";

/** GitLab's token revocation API, authenticated by the shared secret in KEYWARD_GITLAB_REVOCATION_TOKEN. */
const SECRET = "gitlab-shared-secret-0123456789abcdef";
const TYPE = "gitleaks_rule_id_keyward_api_key";
const app = useLeakApp({ KEYWARD_GITLAB_REVOCATION_TOKEN: SECRET });
const check = (secret: string) => app.check(secret);

function gitlab(path: string, init: { method?: string; body?: string; auth?: string | null } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (init.auth !== null) headers.authorization = init.auth ?? SECRET;
  return fetch(`${app.t.adminUrl}/leaks/gitlab/v1/${path}`, {
    method: init.method ?? "GET",
    headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
}

const revoke = (entries: unknown, auth?: string | null) =>
  gitlab("revoke_tokens", { method: "POST", body: JSON.stringify(entries), auth });

describe("GitLab's token revocation API", () => {
  it("lists the one revocable token type", async () => {
    const res = await gitlab("revocable_token_types");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ types: [TYPE] });
    // GitLab may send the secret bare (as it does) or as a Bearer token.
    expect((await gitlab("revocable_token_types", { auth: `Bearer ${SECRET}` })).status).toBe(200);
  });

  it("revokes the keys it names and answers 204, whether they were keys or not", async () => {
    const leaked = await app.t.mintKey({ companyId: "acme" });
    const bystander = await app.t.mintKey({ companyId: "acme" });
    expect(await check(leaked.secret)).toBe("allow");
    const location = "https://gitlab.example.com/acme/app/-/blob/main/.env";
    const res = await revoke([
      { type: TYPE, token: leaked.secret, location },
      { type: TYPE, token: generateKey("sk", "test"), location },
    ]);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(await check(leaked.secret)).toBe("revoked_key");
    expect(await check(bystander.secret)).toBe("allow");
    const key = await app.platform.getKey({ keyId: leaked.id });
    expect([key.status, key.leaked, key.leakReport?.reporter, key.leakReport?.url]).toEqual([
      "revoked",
      true,
      "gitlab",
      location,
    ]);
    const { events } = await app.platform.listAuditEvents({ keyId: leaked.id });
    expect(events.map((e) => e.action).reverse()).toEqual(["key.create", "key.leaked", "key.revoke"]);
    expect(events.every((e) => e.actor === "leak-report:gitlab" || e.action === "key.create")).toBe(true);
    // Idempotent: GitLab retries.
    expect((await revoke([{ type: TYPE, token: leaked.secret, location }])).status).toBe(204);
    expect((await app.platform.listAuditEvents({ keyId: leaked.id })).events).toHaveLength(3);
  });

  it("refuses a missing or wrong secret with 401 and changes nothing", async () => {
    const target = await app.t.mintKey({ companyId: "acme" });
    const entries = [{ type: TYPE, token: target.secret, location: "https://gitlab.example.com/x" }];
    for (const auth of [null, "", "wrong-secret", `${SECRET}x`, `Basic ${SECRET}`]) {
      expect((await revoke(entries, auth)).status).toBe(401);
      expect((await gitlab("revocable_token_types", { auth })).status).toBe(401);
    }
    expect(await check(target.secret)).toBe("allow");
    expect((await app.platform.getKey({ keyId: target.id })).leaked).toBe(false);
  });

  it("answers 400 for a malformed body, 422 for a type it never offered, 405 for other methods", async () => {
    const target = await app.t.mintKey({ companyId: "acme" });
    for (const body of ["nope", JSON.stringify({ token: target.secret }), JSON.stringify([{ type: TYPE }])]) {
      expect((await gitlab("revoke_tokens", { method: "POST", body })).status).toBe(400);
    }
    const foreign = [{ type: "gitleaks_rule_id_aws", token: target.secret, location: "https://x" }];
    expect((await revoke(foreign)).status).toBe(422);
    expect(await check(target.secret)).toBe("allow");
    const wrongMethod = await gitlab("revoke_tokens");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    expect(app.t.logs.join("\n")).not.toContain(target.secret);
  });
});
