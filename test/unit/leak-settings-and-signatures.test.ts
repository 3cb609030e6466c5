import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { parseScanningKeys, signatureValid } from "../../src/leaks/github-keys.js";

const base = { KEYWARD_DATABASE_URL: "memory://" };

function leakSettings(env: Record<string, string>) {
  return loadConfig({ ...base, ...env }).leaks;
}

function refused(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("leak settings", () => {
  it("default to revoke, with GitHub's and GitLab's endpoints off and 10 self-revocations a minute", () => {
    expect(leakSettings({})).toEqual({
      policy: "revoke",
      githubKeysFile: null,
      gitlabToken: null,
      selfRevokeLimit: { requests: 10, windowMs: 60_000, burst: 0 },
    });
    expect(leakSettings({ KEYWARD_LEAK_POLICY: "notify" }).policy).toBe("notify");
  });

  it("refuse an unknown policy, a weak GitLab secret or a bad limit, naming the setting", () => {
    expect(refused({ KEYWARD_LEAK_POLICY: "ignore" })).toContain("KEYWARD_LEAK_POLICY");
    expect(refused({ KEYWARD_GITLAB_REVOCATION_TOKEN: "short" })).toContain(
      "KEYWARD_GITLAB_REVOCATION_TOKEN",
    );
    expect(refused({ KEYWARD_GITLAB_REVOCATION_TOKEN: `${"a".repeat(30)} b` })).toContain(
      "KEYWARD_GITLAB_REVOCATION_TOKEN",
    );
    expect(refused({ KEYWARD_LEAK_REVOKE_LIMIT: "lots" })).toContain("KEYWARD_LEAK_REVOKE_LIMIT");
  });

  it("never quote the GitLab secret back", () => {
    const secret = `s3cret-${"x".repeat(10)} with a space`;
    expect(refused({ KEYWARD_GITLAB_REVOCATION_TOKEN: secret })).not.toContain(secret);
  });
});

describe("GitHub scanning keys", () => {
  const p256 = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pem = p256.publicKey.export({ type: "spki", format: "pem" }).toString();
  const file = (keys: unknown[]) => JSON.stringify({ public_keys: keys });

  it("reads GitHub's format and verifies DER ECDSA P-256 SHA-256 signatures over the exact bytes", () => {
    const keys = parseScanningKeys(file([{ key_identifier: "k1", key: pem, is_current: true }]));
    const key = keys.get("k1");
    if (!key) throw new Error("no key");
    const body = Buffer.from('[{"token":"x"}]');
    const signature = sign("sha256", body, { key: p256.privateKey, dsaEncoding: "der" }).toString("base64");
    expect(signatureValid(key, body, signature)).toBe(true);
    expect(signatureValid(key, Buffer.from('[{"token":"y"}]'), signature)).toBe(false);
    expect(signatureValid(key, body, "")).toBe(false);
    expect(signatureValid(key, body, "%%%")).toBe(false);
    // The IEEE P1363 form (r||s) is not what GitHub sends.
    const raw = sign("sha256", body, { key: p256.privateKey, dsaEncoding: "ieee-p1363" }).toString("base64");
    expect(signatureValid(key, body, raw)).toBe(false);
  });

  it("refuses a file that is not GitHub's shape or holds a key of another kind", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({
      type: "spki",
      format: "pem",
    });
    const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey.export({
      type: "spki",
      format: "pem",
    });
    expect(() => parseScanningKeys("{}")).toThrow(/public_keys/);
    expect(() => parseScanningKeys(file([{ key: pem }]))).toThrow(/key_identifier/);
    expect(() => parseScanningKeys(file([{ key_identifier: "r", key: rsa.toString() }]))).toThrow(/P-256/);
    expect(() => parseScanningKeys(file([{ key_identifier: "e", key: p384.toString() }]))).toThrow(/P-256/);
  });
});
