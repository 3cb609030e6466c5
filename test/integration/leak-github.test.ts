import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/keys/format.js";
import { AdminClients, type KeyAdminClient } from "../helpers/admin-clients.js";
import { deniedBody, EnvoyClient } from "../helpers/envoy-client.js";
import { eventually, metricValue } from "../helpers/hot-path.js";
import {
  type AlertEntry,
  githubSignature,
  postGithubAlert,
  ScanningKeysFile,
  scanningKey,
  sendAlert,
} from "../helpers/leak-reports.js";
import { type ReplicaPair, startReplicaPair } from "../helpers/replicas.js";
import { TEST_DATABASE } from "../helpers/test-app.js";

/**
 * GitHub secret scanning's partner alerts: signed with a P-256 key of the test's own, configured as the
 * scanning-keys file. A valid alert revokes the keys it names and answers GitHub's feedback; anything not
 * signed by a listed key changes nothing.
 */
const github = scanningKey("github-key-1");
const keysFile = new ScanningKeysFile([github]);
let pair: ReplicaPair;
let envoyA: EnvoyClient;
let envoyB: EnvoyClient;
let clients: AdminClients;
let platform: KeyAdminClient;

beforeAll(async () => {
  pair = await startReplicaPair({
    env: { KEYWARD_GITHUB_SCANNING_KEYS_FILE: keysFile.path, KEYWARD_CACHE_TTL: "10m" },
  });
  envoyA = new EnvoyClient(pair.a.authzAddress);
  envoyB = new EnvoyClient(pair.b.authzAddress);
  clients = new AdminClients(pair.a.adminUrl);
  platform = clients.client(
    "grpc-h2c",
    (await pair.mintKey({ companyId: "ops", scopes: ["platform:admin"] })).secret,
  );
});
afterAll(async () => {
  envoyA.close();
  envoyB.close();
  clients.close();
  await pair.close();
  keysFile.remove();
});

async function check(envoy: EnvoyClient, secret: string): Promise<string> {
  const res = await envoy.check({ headers: { authorization: `Bearer ${secret}` } });
  return res.status.code === 0 ? "allow" : deniedBody(res).error.code;
}

const entry = (token: string, url = "https://github.com/octo/app/blob/abc/config.env"): AlertEntry => ({
  token,
  type: "keyward_api_key",
  url,
  source: "content",
});
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("a valid alert", () => {
  it("revokes the key on every replica and answers GitHub's feedback, labels and hashes", async () => {
    const leaked = await pair.mintKey({ companyId: "acme" });
    const bystander = await pair.mintKey({ companyId: "acme" });
    // Warm both caches: the revocation must evict, not merely miss.
    expect(await check(envoyA, leaked.secret)).toBe("allow");
    expect(await check(envoyB, leaked.secret)).toBe("allow");
    const notOurs = generateKey("sk", "live");
    const entries = [entry(leaked.secret), entry(notOurs), entry("ghp_not_even_a_keyward_key")];

    const res = await sendAlert(pair.a.adminUrl, github, entries);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      { token_hash: sha256(leaked.secret), token_type: "keyward_api_key", label: "true_positive" },
      { token_hash: sha256(notOurs), token_type: "keyward_api_key", label: "false_positive" },
      {
        token_hash: sha256("ghp_not_even_a_keyward_key"),
        token_type: "keyward_api_key",
        label: "false_positive",
      },
    ]);

    expect(await check(envoyA, leaked.secret)).toBe("revoked_key");
    if (TEST_DATABASE === "postgres") {
      // B shares A's database; only the change feed can tell its cache.
      await eventually(async () => (await check(envoyB, leaked.secret)) === "revoked_key", {
        timeoutMs: 1000,
        what: "replica B answering revoked_key",
      });
    }
    expect(await check(envoyA, bystander.secret)).toBe("allow");

    const key = await platform.getKey({ keyId: leaked.id });
    expect(key.status).toBe("revoked");
    expect(key.leaked).toBe(true);
    expect(key.leakReport?.reporter).toBe("github");
    expect(key.leakReport?.url).toBe(entries[0]?.url);
    expect(key.leakReport?.source).toBe("content");
    expect(key.revokeReason).toBe("leaked: reported by github");
    expect((await platform.getKey({ keyId: bystander.id })).leaked).toBe(false);

    const { events } = await platform.listAuditEvents({ keyId: leaked.id });
    const actions = events.map((e) => e.action).reverse();
    expect(actions).toEqual(["key.create", "key.leaked", "key.revoke"]);
    const leakedEvent = events.find((e) => e.action === "key.leaked");
    expect(leakedEvent?.actor).toBe("leak-report:github");
    expect(leakedEvent?.after).toMatchObject({
      reporter: "github",
      url: entries[0]?.url,
      source: "content",
      action: "revoked",
    });

    const series = (label: string) => `keyward_leak_reports_total{reporter="github",label="${label}"}`;
    expect(await metricValue(pair.a.adminUrl, series("true_positive"))).toBe(1);
    expect(await metricValue(pair.a.adminUrl, series("false_positive"))).toBe(2);
  });

  it("a repeated alert answers the same and changes nothing", async () => {
    const leaked = await pair.mintKey({ companyId: "acme" });
    expect((await sendAlert(pair.a.adminUrl, github, [entry(leaked.secret)])).status).toBe(200);
    const before = await platform.getKey({ keyId: leaked.id });
    const again = await sendAlert(pair.a.adminUrl, github, [
      entry(leaked.secret, "https://gist.github.com/x"),
    ]);
    expect(await again.json()).toEqual([
      { token_hash: sha256(leaked.secret), token_type: "keyward_api_key", label: "true_positive" },
    ]);
    const after = await platform.getKey({ keyId: leaked.id });
    expect(after).toEqual(before);
    const { events } = await platform.listAuditEvents({ keyId: leaked.id });
    expect(events.map((e) => e.action).filter((a) => a !== "key.create")).toEqual([
      "key.revoke",
      "key.leaked",
    ]);
  });
});

describe("signatures", () => {
  it("a tampered body, a wrong or unknown key id, a missing or foreign signature: 401, nothing changed", async () => {
    const target = await pair.mintKey({ companyId: "acme" });
    const body = JSON.stringify([entry(target.secret)]);
    const signature = githubSignature(github, body);
    const tampered = body.replace("content", "commit");
    const impostor = scanningKey(github.id);
    const attempts = [
      { body: tampered, id: github.id, signature },
      { body, id: "some-other-key", signature },
      { body, id: undefined, signature },
      { body, id: github.id, signature: undefined },
      { body, id: github.id, signature: githubSignature(impostor, body) },
      { body, id: github.id, signature: "not base64!" },
    ];
    for (const a of attempts) {
      const res = await postGithubAlert(pair.a.adminUrl, a.body, a);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain(target.secret);
    }
    expect(await check(envoyA, target.secret)).toBe("allow");
    const key = await platform.getKey({ keyId: target.id });
    expect([key.status, key.leaked]).toEqual(["active", false]);
  });

  it("follows the keys file when it changes: a new key is accepted, a removed one refused", async () => {
    const rotated = scanningKey("github-key-2");
    keysFile.write([rotated]);
    try {
      const target = await pair.mintKey({ companyId: "acme" });
      expect((await sendAlert(pair.a.adminUrl, github, [entry(target.secret)])).status).toBe(401);
      expect(await check(envoyA, target.secret)).toBe("allow");
      expect((await sendAlert(pair.a.adminUrl, rotated, [entry(target.secret)])).status).toBe(200);
      expect(await check(envoyA, target.secret)).toBe("revoked_key");
    } finally {
      keysFile.write([github]);
    }
  });

  it("a keys file that stops parsing keeps the keys read before, with a warning", async () => {
    // Read the good file first (an alert is what makes the server look at it).
    expect((await sendAlert(pair.a.adminUrl, github, [entry(generateKey("sk", "live"))])).status).toBe(200);
    writeFileSync(keysFile.path, "{ half a file");
    try {
      const target = await pair.mintKey({ companyId: "acme" });
      expect((await sendAlert(pair.a.adminUrl, github, [entry(target.secret)])).status).toBe(200);
      expect(await check(envoyA, target.secret)).toBe("revoked_key");
      expect(pair.a.logs.some((l) => l.includes("GitHub scanning keys file unusable"))).toBe(true);
    } finally {
      keysFile.write([github]);
    }
  });

  it("a signed body that is not GitHub's shape is 400 and changes nothing", async () => {
    const target = await pair.mintKey({ companyId: "acme" });
    const bodies = [
      "not json",
      "[]",
      JSON.stringify({ token: target.secret }),
      JSON.stringify([{ token: 42, type: "x", url: "u", source: "content" }]),
      JSON.stringify([{ ...entry(target.secret), url: "u".repeat(5000) }]),
      JSON.stringify([entry(target.secret), "stray"]),
    ];
    for (const body of bodies) {
      const res = await postGithubAlert(pair.a.adminUrl, body, {
        id: github.id,
        signature: githubSignature(github, body),
      });
      expect(res.status).toBe(400);
    }
    expect(await check(envoyA, target.secret)).toBe("allow");
  });
});

describe("what the endpoint never does", () => {
  it("echoes or logs no token, and refuses other methods", async () => {
    const target = await pair.mintKey({ companyId: "acme" });
    const res = await sendAlert(pair.a.adminUrl, github, [entry(target.secret)]);
    expect(await res.text()).not.toContain(target.secret);
    expect((await fetch(`${pair.a.adminUrl}/leaks/github`)).status).toBe(405);
    const logs = [...pair.a.logs, ...pair.b.logs].join("\n");
    expect(logs).toContain("leak report");
    expect(logs).not.toContain(target.secret);
    expect(logs).not.toContain(target.secret.slice(8, 40));
  });
});
