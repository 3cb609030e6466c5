import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliEnv, killSpawned, ROOT, startServe, tempDataDir } from "../helpers/cli.js";
import { signalAll, waitFor } from "./support/processes.js";

/** A `keyward serve` being watched from outside: its JSON log lines and how it ended. */
interface Watched {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launchServe(env: Record<string, string>): Watched {
  const child = spawn(process.execPath, [join(ROOT, "bin", "keyward.js"), "serve"], {
    cwd: ROOT,
    env: cliEnv({ KEYWARD_AUTHZ_LISTEN: "127.0.0.1:0", KEYWARD_ADMIN_LISTEN: "127.0.0.1:0", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let pending = "";
  child.stdout?.on("data", (chunk) => {
    pending += chunk;
    const complete = pending.split("\n");
    pending = complete.pop() ?? "";
    for (const line of complete.filter(Boolean)) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  return { child, logs, exit };
}

/**
 * Signals that arrive while `keyward serve` is still starting (as PID 1 in a container, a process with no
 * handler ignores SIGTERM): the server catches them before it loads anything, unwinds the start at its next
 * step and exits 0, leaving no lock, no server handle and no half-made data dir.
 */
describe("a stop asked for while keyward serve starts", () => {
  const started: Watched[] = [];
  const dirs: ReturnType<typeof tempDataDir>[] = [];
  afterAll(async () => {
    signalAll(
      started.map((w) => w.child.pid as number),
      "SIGKILL",
    );
    await killSpawned();
    for (const d of dirs) d.remove();
  });

  it("handles SIGTERM while it takes the data dir, and exits 0 without serving", async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    const w = launchServe({ KEYWARD_DATA_DIR: dir.dataDir });
    started.push(w);
    await waitFor(() => existsSync(dir.dataDir), "the data dir to appear", 60_000);
    process.kill(w.child.pid as number, "SIGTERM");
    expect(await w.exit).toEqual({ code: 0, signal: null });
    const messages = w.logs.map((l) => l.msg);
    expect(messages).toContain("stopped before serving");
    expect(messages).not.toContain("keyward serving");
    expect(existsSync(join(dir.dataDir, "keyward.lock"))).toBe(false);
  }, 180_000);

  it("on Ctrl-C while a new data dir is being made, finishes that step, cleans up and exits 0", async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    const w = launchServe({ KEYWARD_DATA_DIR: dir.dataDir });
    started.push(w);
    // The pepper is generated just before the embedded database is created in the new data dir.
    await waitFor(
      () => w.logs.some((l) => String(l.msg).startsWith("no KEYWARD_PEPPER set")),
      "the data dir to be made",
      60_000,
    );
    process.kill(w.child.pid as number, "SIGINT");
    expect(await w.exit).toEqual({ code: 0, signal: null });
    expect(w.logs.map((l) => l.msg)).toContain("stopped before serving");
    expect(existsSync(join(dir.dataDir, "keyward.lock"))).toBe(false);
    expect(existsSync(join(dir.dataDir, "server.json"))).toBe(false);
    // Nothing half-made: the next start opens the same data dir and serves.
    const again = await startServe({ KEYWARD_DATA_DIR: dir.dataDir, KEYWARD_DRAIN: "0" }, [], 150_000);
    expect(await again.stop("SIGTERM")).toBe(0);
  }, 300_000);
});
