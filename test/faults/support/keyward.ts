import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { createdKeyId, runCli } from "../../helpers/cli.js";
import { type EnvoyClient, type EnvoyResponse, outcomeCode } from "../../helpers/envoy-client.js";
import type { PgCluster } from "./pg-cluster.js";

/** A database of its own on `cluster`, and the settings that point `keyward` at it. */
export async function keywardDatabase(cluster: PgCluster, name: string): Promise<Record<string, string>> {
  await cluster.query(`create database ${name}`);
  return {
    KEYWARD_DATABASE_URL: cluster.url(name),
    KEYWARD_PEPPER: randomBytes(32).toString("hex"),
    KEYWARD_LOG_LEVEL: "info",
  };
}

/** Mints a key with `keyward keygen` (straight into the store: no server holds it yet); returns its secret. */
export async function keygen(env: Record<string, string>, args: string[]): Promise<string> {
  return (await keygenWithId(env, args)).secret;
}

/** `keygen`, with the new key's id. */
export async function keygenWithId(
  env: Record<string, string>,
  args: string[],
): Promise<{ secret: string; id: string }> {
  const made = await runCli(["keygen", "--company", "acme", ...args], env);
  expect(made.code, made.stderr).toBe(0);
  return { secret: made.stdout.trim(), id: createdKeyId(made.stderr) };
}

/** One Check with `key`, on a route that needs `candidates:read`. */
export function checkWith(envoy: EnvoyClient, key: string): Promise<EnvoyResponse> {
  return envoy.check({
    path: "/v1/candidates",
    headers: { authorization: `Bearer ${key}` },
    sourceIp: "10.1.2.3",
    contextExtensions: { scopes: "candidates:read" },
  });
}

/** "allow", the denial code, or `grpc:<code>` when the Check failed as an RPC. */
export async function outcome(envoy: EnvoyClient, key: string): Promise<string> {
  try {
    return outcomeCode(await checkWith(envoy, key));
  } catch (err) {
    return `grpc:${(err as { code?: number }).code}`;
  }
}

/** A sample from `/metrics`: the value of `name{labels}` (0 when absent). */
export async function metric(adminUrl: string, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line ? Number(line.split(" ")[1]) : 0;
}

/** Polls `probe` until it returns `want` (or throws after `timeoutMs`); returns every value seen. */
export async function until<T>(probe: () => Promise<T>, want: T, timeoutMs: number): Promise<T[]> {
  const seen: T[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    seen.push(value);
    if (value === want) return seen;
    if (Date.now() > deadline)
      throw new Error(`still ${String(value)} after ${timeoutMs} ms, wanted ${String(want)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
