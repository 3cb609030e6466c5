import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliStore,
  cliEnv,
  cliStore,
  KEY_PATTERN,
  killSpawned,
  ROOT,
  type ServeProcess,
  startServe,
} from "../helpers/cli.js";

/** One ```sh block of the README, with the `<!-- readme-test: … -->` line that says what the test does with it. */
interface ShellBlock {
  /** `run <name>`, `server (…)` or `skip (why)`. */
  marker: string;
  code: string;
  line: number;
}

/** The README's shell blocks, in order; a block without a marker has `marker` "". */
function shellBlocks(readme: string): ShellBlock[] {
  const lines = readme.split("\n");
  const out: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```sh") continue;
    const end = lines.indexOf("```", i + 1);
    const marker = /^<!-- readme-test: (.*) -->$/.exec(lines[i - 1] ?? "")?.[1] ?? "";
    out.push({ marker, code: lines.slice(i + 1, end).join("\n"), line: i + 1 });
    i = end;
  }
  return out;
}

/** What a block printed, and the shell variables it set (the README carries ids from block to block). */
interface BlockRun {
  code: number | null;
  stdout: string;
  stderr: string;
  vars: Record<string, string>;
}

const blocks = shellBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));
const runs = new Map<string, BlockRun>();
let dir: string;
let store: CliStore;
let server: ServeProcess;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  // A directory laid out like a checkout (the blocks call ./bin/keyward.js and npx buf), holding nothing else.
  dir = mkdtempSync(join(tmpdir(), "keyward-readme-"));
  for (const name of ["bin", "node_modules", "package.json"]) symlinkSync(join(ROOT, name), join(dir, name));
  writeFileSync(join(dir, "vars.sh"), "");
  store = await cliStore();
  server = await startServe(store.env);
  // The README's commands use the default ports; the server here has free ones, which every command is told.
  env = cliEnv({
    ...store.env,
    KEYWARD_AUTHZ_LISTEN: server.authzListen,
    KEYWARD_ADMIN_LISTEN: server.adminListen,
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await killSpawned();
  await store?.remove();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a block in bash, after the variables earlier blocks set, and keeps the ones it sets. */
function runBlock(block: ShellBlock): Promise<BlockRun> {
  const code = block.code
    .replaceAll("127.0.0.1:9191", server.authzListen)
    .replaceAll("127.0.0.1:8181", server.adminListen);
  const names = [...new Set([...code.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1] as string))];
  const script = [
    "set -euo pipefail",
    ". ./vars.sh",
    code,
    names.length > 0 ? `declare -p ${names.join(" ")} >> vars.sh` : "",
    names.map((name) => `printf '%s\\0%s\\0' ${name} "$${name}" >&3`).join("\n"),
  ].join("\n");
  const child = spawn("bash", ["-c", script], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let varsText = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stdio[3]?.on("data", (chunk) => {
    varsText += chunk;
  });
  return new Promise((resolve) => {
    child.on("close", (exit) => {
      const parts = varsText.split("\0");
      const vars: Record<string, string> = {};
      for (let i = 0; i + 1 < parts.length; i += 2) vars[parts[i] as string] = parts[i + 1] as string;
      resolve({ code: exit, stdout, stderr, vars });
    });
  });
}

/** The run of the block named `name`; the blocks run in README order, so earlier ones have run. */
function run(name: string): BlockRun {
  const got = runs.get(name);
  if (!got) throw new Error(`the README block "${name}" has not run`);
  return got;
}

describe("the README's shell examples, run as written", () => {
  it("marks every shell block as run, the server or skipped with a reason", () => {
    expect(blocks.length).toBeGreaterThan(5);
    for (const block of blocks) {
      expect(block.marker, `README line ${block.line}`).toMatch(/^(run [a-z-]+|server \(.+\)|skip \(.+\))$/);
    }
    expect(blocks.filter((b) => b.marker.startsWith("server"))).toHaveLength(1);
  });

  for (const block of blocks.filter((b) => b.marker.startsWith("run "))) {
    const name = block.marker.slice(4);
    it(`runs the "${name}" block (README line ${block.line}) and it exits 0`, async () => {
      const result = await runBlock(block);
      runs.set(name, result);
      expect(result.code, `stderr: ${result.stderr}\nstdout: ${result.stdout}`).toBe(0);
      EXPECTED[name]?.(result);
    }, 90_000);
  }
});

/** What the README says each block prints, checked on what it printed. */
const EXPECTED: Record<string, (r: BlockRun) => void> = {
  keygen(r) {
    expect(r.vars.ADMIN).toMatch(KEY_PATTERN);
    expect(r.vars.KEY).toMatch(KEY_PATTERN);
    expect(r.vars.KEY).toMatch(/^sk_live_/);
    expect(r.stderr).toMatch(/created key key_\w+/);
    expect(r.stderr).toContain("company:     acme");
    expect(r.stderr).toContain("scopes:      candidates:read");
    expect(r.stderr).toContain("the key is printed once on stdout and cannot be shown again");
    // The secrets went to the variables, not the terminal.
    expect(r.stdout).not.toContain(r.vars.KEY);
  },
  check(r) {
    const answer = JSON.parse(r.stdout) as {
      okResponse: { headers: { header: { key: string; value: string } }[]; headersToRemove: string[] };
      dynamicMetadata: Record<string, string>;
    };
    const headers = new Map(answer.okResponse.headers.map((h) => [h.header.key, h.header.value]));
    expect(headers.get("x-keyward-key-id")).toMatch(/^key_/);
    expect(headers.get("x-keyward-company-id")).toBe("acme");
    expect(answer.okResponse.headersToRemove).toEqual(expect.arrayContaining(["authorization", "x-api-key"]));
    expect(answer.dynamicMetadata).toMatchObject({
      company_id: "acme",
      environment: "live",
      scopes: "candidates:read",
    });
  },
  "forward-auth"(r) {
    const head = r.stdout.split("\r\n\r\n")[0] as string;
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/^x-keyward-key-id: key_\w+\r?$/m);
    expect(head).toMatch(/^x-keyward-company-id: acme\r?$/m);
    expect(head).toMatch(/^x-keyward-scopes: candidates:read\r?$/m);
    expect(head).toMatch(/^x-keyward-environment: live\r?$/m);
    expect(r.stdout).not.toContain(run("keygen").vars.KEY as string);
  },
  "curl-create"(r) {
    const created = JSON.parse(r.stdout) as { key: Record<string, unknown>; secret: string };
    expect(created.key).toMatchObject({
      companyId: "acme",
      name: "reporting",
      environment: "live",
      scopes: ["reports:read"],
      status: "active",
      tags: ["reporting"],
    });
    expect(created.secret).toMatch(KEY_PATTERN);
    expect(r.vars.KEY_ID).toBe(created.key.id);
  },
  "curl-list-revoke"(r) {
    const id = run("curl-create").vars.KEY_ID as string;
    // Two answers, one after the other without a newline: the list by tag, then the revoked key.
    const [list, revoked] = r.stdout
      .replace(/}\s*{"id"/, '}\n{"id"')
      .split("\n")
      .map((line) => JSON.parse(line));
    expect((list as { keys: { id: string; name: string }[] }).keys.map((k) => [k.id, k.name])).toEqual([
      [id, "reporting"],
    ]);
    expect(revoked).toMatchObject({ id, status: "revoked", revokeReason: "no longer needed" });
  },
  "buf-curl-admin"(r) {
    expect(r.stdout).toContain("keyward.admin.v1.KeyAdminService/CreateKey");
    const etl = r.vars.ETL_ID as string;
    expect(etl).toMatch(/^key_/);
    expect(r.stdout).toContain(`"id": "${etl}"`);
    expect(r.stdout).toMatch(/"name": "etl"[\s\S]*"status": "revoked"/);
    expect(r.stdout).toMatch(/"action": "key.revoke"[\s\S]*"reason": "rotated out"/);
  },
};
