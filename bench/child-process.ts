import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FailedMessage, ReadyMessage, ReplyMessage, RequestMessage } from "./child-protocol.js";

/** A server running in its own Node process, driven over IPC. */
export interface BenchChild<Info> {
  name: string;
  info: Info;
  pid: number;
  /** Runs one of the child's operations. */
  call<R>(op: string, args?: unknown, timeoutMs?: number): Promise<R>;
  /** Stops the server gracefully, then for sure. */
  stop(): Promise<void>;
}

// PGlite starts in 2-3 s on an idle machine; a shared, loaded one has taken over a minute.
const TIMEOUTS_MS = { start: 180_000, stop: 10_000 };
/** Under valgrind everything runs some fifty times slower, starting and stopping included. */
const LAUNCHED_TIMEOUTS_MS = { start: 900_000, stop: 60_000 };

/** A program the child runs under (e.g. valgrind): its path, and its arguments up to and including node's. */
export interface Launcher {
  command: string;
  /** Ends with the node binary and any flags for it; `--import tsx` and the entry follow. */
  args: string[];
}

/**
 * Forks `entry` (a path relative to bench/) under tsx with `options` as its JSON argument and waits for it to
 * listen; under `launcher` when one is given. Its output goes to our stderr, prefixed, so the report on stdout
 * stays clean.
 */
export async function startChild<Info>(
  name: string,
  entry: string,
  options: unknown,
  launcher?: Launcher,
): Promise<BenchChild<Info>> {
  const tsx = ["--import", "tsx"];
  const child = fork(fileURLToPath(new URL(entry, import.meta.url)), [JSON.stringify(options)], {
    ...(launcher ? { execPath: launcher.command, execArgv: [...launcher.args, ...tsx] } : { execArgv: tsx }),
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  forward(child, name);
  const timeouts = launcher ? LAUNCHED_TIMEOUTS_MS : TIMEOUTS_MS;
  const info = await waitReady<Info>(child, name, timeouts.start);
  let nextId = 1;
  const pending = new Map<number, (m: ReplyMessage) => void>();
  child.on("message", (m: ReplyMessage) => {
    if (m?.kind === "reply") pending.get(m.id)?.(m);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  return {
    name,
    info,
    pid: child.pid ?? -1,
    call<R>(op: string, args: unknown = null, timeoutMs = 30_000): Promise<R> {
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: ${op} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, (m) => {
          clearTimeout(timer);
          pending.delete(id);
          if (m.ok) resolve(m.result as R);
          else reject(new Error(`${name}: ${op} failed: ${m.error}`));
        });
        child.send({ kind: "request", id, op, args } satisfies RequestMessage);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected)
        child.send({ kind: "request", id: 0, op: "stop", args: null } satisfies RequestMessage);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeouts.stop);
      await exited;
      clearTimeout(timer);
    },
  };
}

function waitReady<Info>(child: ChildProcess, name: string, timeoutMs: number): Promise<Info> {
  return new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not start within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited during startup (code ${code})`));
    };
    child.once("exit", onExit);
    child.on("message", function onMessage(m: ReadyMessage<Info> | FailedMessage) {
      if (m?.kind !== "ready" && m?.kind !== "failed") return;
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (m.kind === "ready") resolve(m.info);
      else {
        child.kill("SIGKILL");
        reject(new Error(`${name} failed to start: ${m.error}`));
      }
    });
  });
}

function forward(child: ChildProcess, name: string): void {
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8");
    stream?.on("data", (text: string) => {
      for (const line of text.split("\n")) if (line) process.stderr.write(`[${name}] ${line}\n`);
    });
  }
}

/** The children a run started. Closing waits for those still starting, and stops them too. */
export class ChildPool {
  private readonly children: BenchChild<unknown>[] = [];
  private readonly starting = new Set<Promise<unknown>>();
  private closed = false;

  add<Info>(starting: Promise<BenchChild<Info>>): Promise<BenchChild<Info>> {
    const task = starting.then(async (child) => {
      if (this.closed) {
        await child.stop();
        throw new Error(`${child.name} finished starting after the bench ended`);
      }
      this.children.push(child);
      return child;
    });
    this.starting.add(task);
    const forget = () => this.starting.delete(task);
    task.then(forget, forget);
    return task;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.starting]);
    await Promise.allSettled(this.children.splice(0).map((c) => c.stop()));
  }
}
