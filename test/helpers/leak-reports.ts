import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { AdminClients, type KeyAdminClient } from "./admin-clients.js";
import { deniedBody, EnvoyClient } from "./envoy-client.js";
import { startTestApp, type TestApp } from "./test-app.js";

/** A P-256 key pair standing in for one of GitHub's secret-scanning keys. */
export interface ScanningKey {
  id: string;
  privateKey: KeyObject;
  /** PEM of the public key, as GitHub's key list carries it. */
  pem: string;
}

/** A fresh P-256 key named `id`. */
export function scanningKey(id: string): ScanningKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return { id, privateKey, pem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

/** A temporary scanning-keys file in GitHub's `meta/public_keys/secret_scanning` format. */
export class ScanningKeysFile {
  readonly dir = mkdtempSync(join(tmpdir(), "keyward-scanning-"));
  readonly path = join(this.dir, "secret_scanning.json");

  constructor(keys: ScanningKey[]) {
    this.write(keys);
  }

  /** Replaces the file's keys (the first is the current one). */
  write(keys: ScanningKey[]): void {
    const public_keys = keys.map((k, i) => ({ key_identifier: k.id, key: k.pem, is_current: i === 0 }));
    writeFileSync(this.path, JSON.stringify({ public_keys }));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** GitHub's signature of `body`: base64 of the DER ECDSA P-256 signature over SHA-256. */
export function githubSignature(key: ScanningKey, body: string | Buffer): string {
  return sign("sha256", Buffer.from(body), { key: key.privateKey, dsaEncoding: "der" }).toString("base64");
}

/** One alert entry as GitHub sends it. */
export interface AlertEntry {
  token: string;
  type: string;
  url: string;
  source: string;
}

/** Posts `body` to `/leaks/github` with the given signature headers (each omitted when undefined). */
export async function postGithubAlert(
  adminUrl: string,
  body: string,
  headers: { id?: string | undefined; signature?: string | undefined },
): Promise<Response> {
  const h: Record<string, string> = { "content-type": "application/json" };
  if (headers.id !== undefined) h["github-public-key-identifier"] = headers.id;
  if (headers.signature !== undefined) h["github-public-key-signature"] = headers.signature;
  return fetch(`${adminUrl}/leaks/github`, { method: "POST", headers: h, body });
}

/** Posts a signed alert of `entries` and returns the answer. */
export function sendAlert(adminUrl: string, key: ScanningKey, entries: AlertEntry[]): Promise<Response> {
  const body = JSON.stringify(entries);
  return postGithubAlert(adminUrl, body, { id: key.id, signature: githubSignature(key, body) });
}

/** Posts `{"credentials": …}` (or `raw`, when given) to `/leaks/revoke`. */
export function selfRevoke(adminUrl: string, credentials: unknown, raw?: string): Promise<Response> {
  return fetch(`${adminUrl}/leaks/revoke`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ?? JSON.stringify({ credentials }),
  });
}

/** A suite's app for leak reports (see `useLeakApp`). */
export interface LeakApp {
  readonly t: TestApp;
  /** A platform admin (a key of company "ops") over gRPC h2c. */
  readonly platform: KeyAdminClient;
  /** What Check answers a request with `secret`: "allow" or the denial's code. */
  check(secret: string): Promise<string>;
}

/** Starts the app with `env` before the suite's tests and stops it after them, with Check and admin clients. */
export function useLeakApp(env: Record<string, string>): LeakApp {
  let t: TestApp | undefined;
  let envoy: EnvoyClient | undefined;
  let clients: AdminClients | undefined;
  let platform: KeyAdminClient | undefined;
  beforeAll(async () => {
    t = await startTestApp({ env });
    envoy = new EnvoyClient(t.authzAddress);
    clients = new AdminClients(t.adminUrl);
    const { secret } = await t.mintKey({ companyId: "ops", scopes: ["platform:admin"] });
    platform = clients.client("grpc-h2c", secret);
  });
  afterAll(async () => {
    envoy?.close();
    clients?.close();
    await t?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the test app is used before its suite started it");
    return value;
  };
  return {
    get t() {
      return started(t);
    },
    get platform() {
      return started(platform);
    },
    async check(secret) {
      const res = await started(envoy).check({ headers: { authorization: `Bearer ${secret}` } });
      return res.status.code === 0 ? "allow" : deniedBody(res).error.code;
    },
  };
}
