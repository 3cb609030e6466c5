/**
 * The IPC protocol between the bench (parent) and a server it runs in a child process, so the load generator
 * never shares the measured server's event loop. The child announces itself once with `ready`, then answers
 * numbered requests; it shuts down on `stop` or as soon as the parent goes away.
 */

/** Child → parent, once: the server is listening. */
export interface ReadyMessage<Info> {
  kind: "ready";
  info: Info;
}

/** Child → parent, once: the server could not start. */
export interface FailedMessage {
  kind: "failed";
  error: string;
}

/** Parent → child: run one operation. */
export interface RequestMessage {
  kind: "request";
  id: number;
  op: string;
  args: unknown;
}

/** Child → parent: the answer to one request. */
export type ReplyMessage =
  | { kind: "reply"; id: number; ok: true; result: unknown }
  | { kind: "reply"; id: number; ok: false; error: string };

/** Operations a child serves; `stop` and `cpuUsage` (the process's CPU time so far, µs) are always there. */
export type ChildHandlers = Record<string, (args: never) => Promise<unknown>>;

/** What a child entry provides: its startup info, its operations and how it shuts down. */
export interface ChildServer<Info> {
  info: Info;
  handlers: ChildHandlers;
  shutdown(): Promise<void>;
}

/** The options the parent passed, as JSON in the first argument. */
export function childOptions<T>(): T {
  return JSON.parse(process.argv[2] ?? "{}") as T;
}

/** Runs `start` in this child process and serves the parent over IPC until stopped or orphaned. */
export async function serveParent<Info>(start: () => Promise<ChildServer<Info>>): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error("this module runs as a child of bench/run.ts (it needs an IPC channel)");
  let server: ChildServer<Info>;
  try {
    server = await start();
  } catch (err) {
    send({ kind: "failed", error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  }
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= server.shutdown().finally(() => process.disconnect?.());
    return stopping;
  };
  // An orphaned server would keep a port and a CPU busy after the bench died: leave with the parent.
  process.on("disconnect", () => void stop().finally(() => process.exit(0)));
  process.on("SIGTERM", () => void stop().finally(() => process.exit(0)));
  process.on("message", (raw: RequestMessage) => {
    if (raw?.kind !== "request") return;
    const handler = raw.op === "stop" ? stop : raw.op === "cpuUsage" ? cpuMicros : server.handlers[raw.op];
    const reply = (m: ReplyMessage) => {
      if (process.connected) send(m);
    };
    if (!handler) {
      reply({ kind: "reply", id: raw.id, ok: false, error: `unknown operation ${raw.op}` });
      return;
    }
    // Replies go out before `stop` disconnects; `stop`'s own reply is best effort.
    (handler as (a: unknown) => Promise<unknown>)(raw.args).then(
      (result) => reply({ kind: "reply", id: raw.id, ok: true, result: result ?? null }),
      (err: unknown) => reply({ kind: "reply", id: raw.id, ok: false, error: String(err) }),
    );
  });
  send({ kind: "ready", info: server.info } satisfies ReadyMessage<Info>);
}

/** User plus system CPU time this process has used, in microseconds. */
async function cpuMicros(): Promise<number> {
  const { user, system } = process.cpuUsage();
  return user + system;
}
