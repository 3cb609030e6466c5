/**
 * Counting a server's instructions per request with valgrind's callgrind, which the machine's speed and its
 * neighbours cannot move: the server runs under callgrind with counting off, takes a warm-up under h2load,
 * and only the requests after it are counted (`callgrind_control -i on`, then `-i off` and a dump).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type CallgrindCounts, PerfMap, readCallgrind } from "./callgrind-profile.js";
import type { BenchChild, Launcher } from "./child-process.js";
import { runH2load } from "./h2load.js";

/** How many requests warm the server up, and how many are counted. */
export interface CountSpec {
  warmup: number;
  counted: number;
  clients: number;
  streams: number;
}

/** What one server's counted window held. */
export interface CountedWindow {
  counts: CallgrindCounts;
  /** Names for V8's generated code, from the map `node --perf-basic-prof` wrote. */
  perf: PerfMap;
}

/** Installs valgrind from Debian when it is missing, through the project's own package script. */
export function ensureValgrind(): void {
  const script = new URL("../scripts/ensure-packages.sh", import.meta.url).pathname;
  execFileSync("bash", [script, "valgrind=valgrind", "callgrind_control=valgrind"], { stdio: "inherit" });
}

/**
 * Runs node under callgrind with counting off until asked; every thread is counted (V8's compiler and
 * collector work beside the main thread), and code V8 generates is followed (`--smc-check`).
 */
export function callgrindLauncher(outFile: string): Launcher {
  return {
    command: "valgrind",
    args: [
      "--tool=callgrind",
      "--quiet",
      "--instr-atstart=no",
      "--smc-check=all-non-file",
      `--callgrind-out-file=${outFile}`,
      process.execPath,
      "--perf-basic-prof",
    ],
  };
}

/**
 * Warms `server` (started with `callgrindLauncher(outFile)`) up, counts `spec.counted` requests to `url`
 * with `bodyFile`, and reads the dump. The dump and the perf map are removed once read.
 */
export async function countRequests(
  server: BenchChild<unknown>,
  outFile: string,
  target: { url: string; bodyFile: string },
  spec: CountSpec,
): Promise<CountedWindow> {
  const load = (requests: number) =>
    runH2load({
      url: target.url,
      bodyFile: target.bodyFile,
      clients: spec.clients,
      streams: spec.streams,
      requests,
      // Under callgrind a request takes a few hundred microseconds of the server's time.
      timeoutMs: 60_000 + requests * 20,
    });
  const expectAll = async (requests: number) => {
    const result = await load(requests);
    if (result.succeeded !== requests)
      throw new Error(`${server.name}: ${requests - result.succeeded} of ${requests} requests failed`);
  };
  const dump = `${outFile}.1`;
  const perfFile = join("/tmp", `perf-${server.pid}.map`);
  try {
    await expectAll(spec.warmup);
    control(server.pid, ["-i", "on"]);
    await expectAll(spec.counted);
    control(server.pid, ["-i", "off"]);
    control(server.pid, ["-d"]);
    const counts = readCallgrind(await waitForDump(dump));
    return { counts, perf: new PerfMap(readFileSync(perfFile, "utf8")) };
  } finally {
    rmSync(dump, { force: true });
    rmSync(perfFile, { force: true });
  }
}

function control(pid: number, args: string[]): void {
  execFileSync("callgrind_control", [...args, String(pid)], { stdio: "ignore", timeout: 120_000 });
}

/** The dump is written by the server itself, after `callgrind_control -d` returns; complete once totalled. */
async function waitForDump(file: string): Promise<string> {
  for (let waited = 0; waited < 120_000; waited += 250) {
    if (existsSync(file)) {
      const text = readFileSync(file, "utf8");
      if (/^totals: /m.test(text)) return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`callgrind wrote no complete dump to ${file}`);
}
