import { execFileSync, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { type LatencyStats, latencyStats } from "./latency.js";

/** One h2load run against a gRPC method, or (with `http1Headers`) plain HTTP/1.1 GETs. */
export interface H2loadRun {
  url: string;
  /** The gRPC-framed request body (h2load `-d`); unused with `http1Headers`. */
  bodyFile: string;
  /** HTTP/1.1 keep-alive (`--h1`) GETs with these `name: value` headers instead of gRPC calls. */
  http1Headers?: readonly string[];
  clients: number;
  /** Concurrent streams per connection (`-m`). */
  streams: number;
  /** Total requests (`-n`); ignored with `durationSec`. */
  requests?: number;
  /** Time-based run (`-D`), used for warm-ups. */
  durationSec?: number;
  /** Offered load per client (`--rps`); absent means as fast as the server answers. */
  rpsPerClient?: number;
  threads?: number;
  /** Per-request log (`--log-file`) to compute latency percentiles from. */
  logFile?: string;
  /** Hard limit: the run is interrupted and reported failed past it. */
  timeoutMs: number;
}

/** What h2load reported, plus percentiles from its per-request log. */
export interface H2loadResult {
  reqPerSec: number;
  elapsedSec: number;
  done: number;
  succeeded: number;
  failed: number;
  errored: number;
  timedOut: number;
  latency: LatencyStats | null;
  output: string;
}

/** Installs h2load from Debian's nghttp2-client when it is missing (apt only; nothing else downloads). */
export function ensureH2load(): void {
  if (spawnSync("h2load", ["--version"]).status === 0) return;
  const apt = spawnSync("apt-get", ["--version"]);
  if (apt.status !== 0 || process.getuid?.() !== 0) {
    throw new Error(
      "h2load is missing: install it (Debian/Ubuntu: apt-get install -y nghttp2-client) and rerun",
    );
  }
  process.stderr.write("h2load is missing: installing nghttp2-client with apt-get…\n");
  execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"] });
  execFileSync("apt-get", ["install", "-y", "-qq", "nghttp2-client"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

/** The h2load version line, for the report. */
export function h2loadVersion(): string {
  return spawnSync("h2load", ["--version"], { encoding: "utf8" }).stdout.trim();
}

/** Runs h2load once and parses its summary (and log file, when asked for). */
export async function runH2load(run: H2loadRun): Promise<H2loadResult> {
  const args = [
    ...(run.durationSec !== undefined
      ? ["-D", String(run.durationSec)]
      : ["-n", String(run.requests ?? 1000)]),
    ["-c", String(run.clients)],
    ["-m", String(run.streams)],
    ["-t", String(run.threads ?? 1)],
    ...(run.rpsPerClient !== undefined ? ["--rps", String(run.rpsPerClient)] : []),
    ...(run.logFile ? ["--log-file", run.logFile] : []),
    run.http1Headers
      ? ["--h1", ...run.http1Headers.flatMap((h) => ["--header", h])]
      : ["--header", "content-type: application/grpc", "--header", "te: trailers", "-d", run.bodyFile],
    run.url,
  ].flat();
  const output = await spawnBounded("h2load", args, run.timeoutMs);
  const result = parseSummary(output);
  if (run.logFile) result.latency = latencyStats(readLogDurations(run.logFile));
  return result;
}

/** Parses h2load's text summary. */
export function parseSummary(output: string): H2loadResult {
  const finished = /finished in ([\d.]+)(m?s), ([\d.]+) req\/s/.exec(output);
  const requests =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      output,
    );
  if (!finished || !requests) throw new Error(`cannot read h2load's output:\n${output}`);
  const n = (i: number) => Number(requests[i]);
  return {
    elapsedSec: Number(finished[1]) / (finished[2] === "ms" ? 1000 : 1),
    reqPerSec: Number(finished[3]),
    done: n(3),
    succeeded: n(4),
    failed: n(5),
    errored: n(6),
    timedOut: n(7),
    latency: null,
    output,
  };
}

/** Request times in microseconds from h2load's log: start (µs since epoch), HTTP status, µs to response end. */
function readLogDurations(file: string): number[] {
  const durations: number[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const fields = line.split("\t");
    if (fields.length < 3 || fields[1] !== "200") continue;
    durations.push(Number(fields[2]));
  }
  return durations;
}

function spawnBounded(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      out += s;
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      out += s;
    });
    let killedForTime = false;
    const timer = setTimeout(() => {
      killedForTime = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (killedForTime) reject(new Error(`h2load did not finish within ${timeoutMs / 1000} s\n${out}`));
      else if (code !== 0)
        reject(new Error(`h2load exited with ${code}: ${command} ${args.join(" ")}\n${out}`));
      else resolve(out);
    });
  });
}
