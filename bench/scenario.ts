import type { BenchChild, Launcher } from "./child-process.js";
import type { KeywardServerInfo, KeywardServerOptions } from "./keyward-server.js";
import type { Report } from "./report.js";
import type { BenchSettings } from "./settings.js";

/** A server under load: where to send the framed Check, and how to tell its answers were right. */
export interface Target {
  name: string;
  url: string;
  /** The gRPC-framed CheckRequest h2load sends. */
  bodyFile: string;
  /** Keyward only: its admin port, to read outcome counters and prove the measured answers were allows. */
  adminPort?: number;
  /** The server's process, to read its CPU time around a run. */
  server: BenchChild<unknown>;
  /** HTTP forward auth instead of gRPC Check: HTTP/1.1 keep-alive GETs with these headers. */
  http1Headers?: readonly string[];
  /** Connections and requests in flight per connection, when not the settings' `-c` and `-m`. */
  load?: { clients: number; streams: number };
}

/**
 * The servers the Check scenarios compare: Keyward; two null handlers on grpc-js, one that does not decode
 * requests and one that decodes them in full with protobuf-es first; a bare node:http2 server; and Keyward's
 * own listener with a constant answer in place of the Check.
 */
export interface CheckTargets {
  keyward: Target;
  /** Keyward's process, to run operations in it (e.g. timing the Check's steps). */
  keywardServer: BenchChild<KeywardServerInfo>;
  null: Target;
  nullDecode: Target;
  /** A bare node:http2 server answering an empty CheckResponse, no gRPC library: the floor of node:http2. */
  bare: Target;
  /** Keyward's own authz listener answering a constant allow of Keyward's size: the floor of its transport. */
  transport: Target;
}

/** What every scenario gets: the settings, servers started on first use, and results earlier scenarios left. */
export interface BenchContext {
  settings: BenchSettings;
  /** Keyward (verified to ALLOW the bench request) and the null-handler baselines, started once. */
  checkTargets(): Promise<CheckTargets>;
  /** Starts another Keyward replica (e.g. a second one on the same PostgreSQL schema); stopped at the end. */
  startKeyward(options?: KeywardServerOptions): Promise<BenchChild<KeywardServerInfo>>;
  /**
   * Starts another child process from an entry under bench/ (a load generator, or a server under valgrind),
   * stopped at the end.
   */
  startChild<Info>(
    name: string,
    entry: string,
    options: unknown,
    launcher?: Launcher,
  ): Promise<BenchChild<Info>>;
  /** A scratch directory for log files, removed at the end. */
  tmpDir: string;
  /** Results scenarios share, by name (e.g. the max-throughput figures the offered-load scenario builds on). */
  results: Map<string, unknown>;
}

/** One named measurement; run.ts runs a list of them and prints their reports with one printer. */
export interface Scenario {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<Report>;
}

/** A failure that makes every later figure meaningless: the run stops at it. */
export class BenchAbort extends Error {
  override name = "BenchAbort";
}
