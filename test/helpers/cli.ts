import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { TEST_DATABASE, TEST_DATABASE_URL } from "./test-app.js";

/** The repository root: the CLI runs from here, as `node bin/keyward.js`, on the built dist/. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = join(ROOT, "bin", "keyward.js");

/** What DESIGN.md promises secret scanners: one whole key. */
export const KEY_PATTERN = /^[a-z0-9]+_(live|test)_[0-9A-Za-z]{49}$/;

/** How one CLI run ended. */
export interface CliResult {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Every process a test started, so `killSpawned` can end the ones a failing test left behind. */
const spawned = new Set<ChildProcess>();

/**
 * The environment a CLI run sees: this process's, minus every KEYWARD_* setting (so a developer's shell cannot
 * change what a test means), plus `extra`.
 */
export function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("KEYWARD_")) env[name] = value;
  }
  return { ...env, ...extra };
}

function launch(args: string[], extra: Record<string, string>, nodeFlags: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...nodeFlags, BIN, ...args], {
    cwd: ROOT,
    env: cliEnv(extra),
    stdio: ["ignore", "pipe", "pipe"],
  });
  spawned.add(child);
  child.once("exit", () => spawned.delete(child));
  return child;
}

/** Runs `keyward …args` to the end (killed after `timeoutMs`). */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 45_000): Promise<CliResult> {
  const child = launch(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ pid: child.pid as number, code, signal, stdout, stderr });
    });
  });
}

/** The non-empty lines of a stream's text. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

/** A `keyward serve` process that has logged "keyward serving". */
export interface ServeProcess {
  pid: number;
  /** `127.0.0.1:port` of the Check listener. */
  authzAddress: string;
  /** `http://127.0.0.1:port` of the admin listener. */
  adminUrl: string;
  /** The listeners as `host:port`, for `keyward status --authz-listen … --admin-listen …`. */
  authzListen: string;
  adminListen: string;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * V8 flags for a server a test starts. It lives for seconds: V8's optimizing compiler, which `serve` keeps for
 * its long runs, would spend more CPU recompiling PGlite's hot WebAssembly than it saves (about 1.3 of a start's
 * 3 CPU-seconds here). What the server does is the same with either compiler.
 */
const SERVE_NODE_FLAGS = ["--liftoff-only"];

/**
 * Starts `keyward serve` on free loopback ports and waits for its "keyward serving" line, which names the ports
 * it bound. Rejects with the process's stderr if it exits first.
 */
export function startServe(env: Record<string, string>, args: string[] = [], timeoutMs = 45_000) {
  const child = launch(
    ["serve", ...args],
    {
      KEYWARD_AUTHZ_LISTEN: "127.0.0.1:0",
      KEYWARD_ADMIN_LISTEN: "127.0.0.1:0",
      // The 100 ms bound of a key lookup is for production; see test-app.ts.
      KEYWARD_LOOKUP_TIMEOUT: "5s",
      // A stop keeps answering for the drain (5 s by default) before it closes; the suites that test the drain
      // set their own (test/faults/postgres-crash.test.ts), the others stop at once.
      KEYWARD_DRAIN: "0s",
      ...env,
    },
    SERVE_NODE_FLAGS,
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  let pending = "";
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return new Promise<ServeProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`keyward serve did not start in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    child.stdout?.on("data", (chunk) => {
      pending += chunk;
      const complete = pending.split("\n");
      pending = complete.pop() ?? "";
      for (const line of complete.filter(Boolean)) {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = { msg: line };
        }
        logs.push(entry);
        if (entry.msg !== "keyward serving") continue;
        clearTimeout(timer);
        const authzListen = String(entry.authz);
        const adminListen = String(entry.admin);
        resolve({
          pid: child.pid as number,
          authzAddress: authzListen,
          adminUrl: `http://${adminListen}`,
          authzListen,
          adminListen,
          logs,
          stop(signal = "SIGTERM") {
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`keyward serve exited ${code} before serving: ${stderr}`));
    });
  });
}

/** Kills every CLI process still running (for `afterAll`). */
export async function killSpawned(): Promise<void> {
  await Promise.all(
    [...spawned].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("close", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}

/** A fresh temporary directory; the data dir itself (`<tmp>/data`) is left for the CLI to create. */
export function tempDataDir(): { dataDir: string; remove: () => void } {
  const base = mkdtempSync(join(tmpdir(), "keyward-cli-"));
  return { dataDir: join(base, "data"), remove: () => rmSync(base, { recursive: true, force: true }) };
}

/** Where a CLI suite keeps its keys: the `KEYWARD_*` settings that select it, and how to throw it away. */
export interface CliStore {
  kind: "pglite" | "postgres";
  env: Record<string, string>;
  /** Runs SQL on the store (PostgreSQL only: PGlite's data dir belongs to the CLI). */
  query?: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
  remove(): Promise<void>;
}

/**
 * A store for one suite, on the database the integration suites run on: a temporary PGlite data dir, or a
 * PostgreSQL database of its own (`keyward_cli_<random>`, the CLI having no schema setting) with a pepper.
 */
export async function cliStore(): Promise<CliStore> {
  if (TEST_DATABASE === "pglite") {
    const { dataDir, remove } = tempDataDir();
    return { kind: "pglite", env: { KEYWARD_DATA_DIR: dataDir }, remove: async () => remove() };
  }
  const name = `keyward_cli_${randomBytes(6).toString("hex")}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    kind: "postgres",
    env: { KEYWARD_DATABASE_URL: url.toString(), KEYWARD_PEPPER: randomBytes(32).toString("hex") },
    async query(sql, params = []) {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    remove: () => adminQuery(`drop database if exists ${name} with (force)`),
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The key id `keygen` names on stderr ("created key key_… …"). */
export function createdKeyId(stderr: string): string {
  const match = /created key (\S+)/.exec(stderr);
  if (!match?.[1]) throw new Error(`keygen named no key id: ${stderr}`);
  return match[1];
}

/** Calls a KeyAdmin RPC with Connect JSON over HTTP/1.1, as `curl` would. */
export async function adminCall(
  adminUrl: string,
  method: string,
  body: unknown,
  key: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${adminUrl}/keyward.admin.v1.KeyAdminService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
