import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DataDirBusyError, lockDataDir, processIdentity } from "../../src/store/data-dir.js";
import { tempDataDir } from "../helpers/cli.js";
import { signalAll } from "./support/processes.js";

/**
 * The embedded data dir's lock names a process by pid, start time and boot. A lock whose pid now belongs to
 * another, live process (pid reuse after a crash and a reboot, or in a new container) is stale; a lock of the
 * live holder itself is not.
 */
describe("the PGlite data dir lock", () => {
  let other: number;
  let dir: ReturnType<typeof tempDataDir>;
  const lockPath = () => join(dir.dataDir, "keyward.lock");

  beforeAll(() => {
    // A live process that has nothing to do with Keyward.
    const sleeper = spawn("sleep", ["60"], { stdio: "ignore" });
    other = sleeper.pid as number;
  });
  afterAll(() => signalAll([other], "SIGKILL"));
  afterEach(() => dir.remove());

  const lockNaming = (text: string) => {
    dir = tempDataDir();
    mkdirSync(dir.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(lockPath(), text, { mode: 0o600 });
  };

  it("is taken over when its pid is alive but belongs to a process that started later", () => {
    const identity = processIdentity(other);
    expect(identity).not.toBeNull();
    // What the lock of an earlier process with the same pid looks like: another start time.
    lockNaming(`${other} ${Number(identity?.start) - 1} ${identity?.boot}\n`);
    const release = lockDataDir(dir.dataDir);
    expect(readFileSync(lockPath(), "utf8").split(" ")[0]).toBe(String(process.pid));
    release();
    expect(existsSync(lockPath())).toBe(false);
  });

  it("is taken over when it was written in an earlier boot", () => {
    const identity = processIdentity(other);
    lockNaming(`${other} ${identity?.start} 00000000-0000-0000-0000-000000000000\n`);
    const release = lockDataDir(dir.dataDir);
    expect(readFileSync(lockPath(), "utf8").split(" ")[0]).toBe(String(process.pid));
    release();
  });

  it("keeps others out while the process it names is the one that wrote it", () => {
    const identity = processIdentity(other);
    lockNaming(`${other} ${identity?.start} ${identity?.boot}\n`);
    expect(() => lockDataDir(dir.dataDir)).toThrow(DataDirBusyError);
    expect(() => lockDataDir(dir.dataDir)).toThrow(`held by process ${other}`);
  });

  it("records this process's own start time and boot", () => {
    dir = tempDataDir();
    const release = lockDataDir(dir.dataDir);
    const own = processIdentity(process.pid);
    expect(readFileSync(lockPath(), "utf8").trim()).toBe(`${process.pid} ${own?.start} ${own?.boot}`);
    release();
  });
});
