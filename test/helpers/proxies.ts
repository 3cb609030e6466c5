import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, request } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./cli.js";
import { holdsListener } from "./listening-sockets.js";

/** Where a client that is neither a proxy nor Keyward sits: a loopback address Keyward does not trust. */
export const CLIENT_ADDRESS = "127.0.0.2";

/** The text of a shipped example, e.g. `examples/nginx/nginx.conf`. */
export function readExample(path: string): string {
  return readFileSync(join(ROOT, path), "utf8");
}

/**
 * The example with each address it ships with replaced by the one a test runs on. Every address must
 * occur as written, so an example that moves on without its test fails here, loudly.
 */
export function substitute(text: string, replacements: Record<string, string>): string {
  let out = text;
  for (const [from, to] of Object.entries(replacements)) {
    if (!out.includes(from)) throw new Error(`the example no longer holds "${from}"`);
    out = out.replaceAll(from, to);
  }
  return out;
}

/** A port nothing listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** What the upstream saw of one request. */
export interface Echo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** An API behind the proxy that answers every request with what it received, as JSON. */
export interface EchoUpstream {
  port: number;
  /** Every request it received, in order. */
  seen: Echo[];
  close(): Promise<void>;
}

/** Starts the echo upstream on a free port. */
export async function startEchoUpstream(): Promise<EchoUpstream> {
  const seen: Echo[] = [];
  const server = createServer((req, res) => {
    const echo: Echo = { method: req.method ?? "", url: req.url ?? "", headers: req.headers };
    seen.push(echo);
    req.resume();
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(echo));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A response as the client got it. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Options of one request through a proxy. */
export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  /** The client's own address; `CLIENT_ADDRESS` unless given. */
  from?: string;
  body?: string;
}

/** Sends one HTTP/1.1 request (on a connection of its own) and reads the whole answer. */
export function send(base: string, path: string, options: SendOptions = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        // The path goes out as written: dot segments and escapes reach the proxy unnormalised.
        path,
        method: options.method ?? "GET",
        headers: options.headers,
        localAddress: options.from ?? CLIENT_ADDRESS,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The upstream's echo of a request that got through. */
export function echoOf(reply: Reply): Echo {
  if (reply.status !== 200)
    throw new Error(`expected 200 from the upstream, got ${reply.status}: ${reply.body}`);
  return JSON.parse(reply.body) as Echo;
}

/** A proxy running as a child process in a directory of its own. */
export interface ProxyProcess {
  /** `http://127.0.0.1:port`. */
  url: string;
  /** Its working directory (config, pid, logs, temporary files). */
  dir: string;
  /** What it printed so far, and its log file. */
  output(): string;
  close(): Promise<void>;
}

/** A fresh directory for one proxy's files, under the system's temporary directory. */
export function proxyDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `keyward-${name}-`));
}

/**
 * Spawns a proxy and waits until it listens on `port` itself (not merely until something accepts there).
 * Stopped by its own pid on `close`, and its directory removed.
 */
export async function spawnProxy(
  command: string,
  args: string[],
  options: { dir: string; port: number; env?: Record<string, string>; logFile?: string },
): Promise<ProxyProcess> {
  const child = spawn(command, args, {
    cwd: options.dir,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on("data", (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const proxy: ProxyProcess = {
    url: `http://127.0.0.1:${options.port}`,
    dir: options.dir,
    output: () =>
      output + (options.logFile && existsSync(options.logFile) ? readFileSync(options.logFile, "utf8") : ""),
    async close() {
      await stop(child, exited);
      rmSync(options.dir, { recursive: true, force: true });
    },
  };
  try {
    await waitForPort(options.port, child, proxy.output);
  } catch (error) {
    await proxy.close();
    throw error;
  }
  return proxy;
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const message = `the proxy exited (${child.exitCode}): ${output()}`;
      throw /address already in use/i.test(message) ? new PortTakenError(message) : new Error(message);
    }
    if (child.pid !== undefined && holdsListener(child.pid, port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the proxy did not listen on ${port} within 30 s: ${output()}`);
}

/** The port found free was taken by another process before the proxy could bind it. */
class PortTakenError extends Error {}

/**
 * Starts a proxy on a free port, and again on another one if that port was taken before the proxy bound it
 * (test files run in parallel, each binding ports of its own).
 */
export async function onFreePort(start: (port: number) => Promise<ProxyProcess>): Promise<ProxyProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt === 3) throw error;
    }
  }
}
