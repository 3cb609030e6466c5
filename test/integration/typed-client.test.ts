import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

// The package's own export, as another service imports it after installing Keyward (needs `npm run build`).
const { createKeywardClient, KeywardClientError } = await import("keyward/client");

let t: TestApp;
let adminKey: string;

beforeAll(async () => {
  t = await startTestApp();
  adminKey = (await t.mintKey({ companyId: "acme", scopes: ["keys:admin"] })).secret;
});
afterAll(async () => {
  await t.close();
});

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a throw");
}

describe("the typed client (keyward/client)", () => {
  it("runs the README's example: create, list by tag, revoke", async () => {
    const keyward = createKeywardClient({ baseUrl: t.adminUrl, apiKey: adminKey });
    const { key, secret } = await keyward.createKey({
      name: "billing-sync",
      scopes: ["invoices:read"],
      tags: ["billing"],
    });
    expect(secret).toMatch(/^sk_live_/);
    const { keys } = await keyward.listKeys({ tag: "billing" });
    expect(keys.map((k) => k.id)).toContain(key?.id);
    const revoked = await keyward.revokeKey({ keyId: key?.id ?? "", reason: "demo over" });
    expect(revoked.status).toBe("revoked");
  });

  it("takes a key with the newline a file or shell variable leaves on it", async () => {
    const keyward = createKeywardClient({ baseUrl: t.adminUrl, apiKey: `${adminKey}\n`, protocol: "grpc" });
    expect((await keyward.listKeys({})).keys.length).toBeGreaterThan(0);
  });

  it("a missing key is one clear error when the client is made", () => {
    const err = thrown(() =>
      createKeywardClient({ baseUrl: t.adminUrl, apiKey: process.env.KEYWARD_UNSET_IN_TESTS as string }),
    );
    expect(err).toBeInstanceOf(KeywardClientError);
    expect(err.message).toContain("apiKey is missing");
    expect(err.message).not.toContain("\n");
  });

  it("a key that is not a Keyward key is refused offline, without echoing it", () => {
    const err = thrown(() => createKeywardClient({ baseUrl: t.adminUrl, apiKey: '"sk_live_oops"' }));
    expect(err).toBeInstanceOf(KeywardClientError);
    expect(err.message).toContain("apiKey is not a Keyward key");
    expect(err.message).not.toContain("oops");
  });

  it("a well-formed key the server does not know fails each call with an error naming the key as the cause", async () => {
    const stranger = (await t.mintKey({ companyId: "acme", scopes: ["keys:admin"] })).secret;
    const keyward = createKeywardClient({ baseUrl: t.adminUrl, apiKey: stranger });
    const admin = createKeywardClient({ baseUrl: t.adminUrl, apiKey: adminKey });
    const { keys } = await admin.listKeys({});
    const id = keys.find((k) => stranger.endsWith(k.hint.slice(-4)))?.id ?? "";
    await admin.revokeKey({ keyId: id, reason: "test" });
    const err = await keyward.listKeys({}).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    expect((err as ConnectError).rawMessage).toContain(
      "did not accept the client's admin key (admin key rejected: revoked_key)",
    );
  });
});
