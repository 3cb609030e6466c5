import { Worker } from "node:worker_threads";
import { DatabaseUnavailableError } from "./db-errors.js";
import {
  type EngineMessage,
  type EngineRequest,
  type EngineStart,
  fromEngineError,
} from "./engine-protocol.js";
import { pgliteAssets } from "./pglite-assets.js";

/** One statement's answer. */
export interface EngineResult<R> {
  rows: R[];
  affectedRows?: number;
}

/** Hears the payloads of one notification channel. */
type Listener = (payload: string) => void;

/**
 * The thread's script: compiled, two levels below the package root, as this module is both as source
 * (src/store) and compiled (dist/store); so the same relative path finds it from either. `npm run build`
 * makes it, and the tests build first.
 */
const WORKER_SCRIPT = new URL("../../dist/store/pglite-worker.js", import.meta.url);

/**
 * The engine thread's JavaScript heap. Its objects are few and short-lived (a statement's rows on their way
 * here); V8's default young generation, sized for a busy server thread, only added resident memory.
 */
const ENGINE_HEAP = { maxYoungGenerationSizeMb: 8 };

type Pending = { resolve(message: EngineMessage & { kind: "done" }): void; reject(err: Error): void };
/** A request before it is given its id. */
type Unsent<T> = T extends unknown ? Omit<T, "id"> : never;
type Request = Unsent<EngineRequest>;

/**
 * Embedded PGlite, run in a thread of its own (see pglite-worker.ts): statements are sent there and
 * answered asynchronously, so the server's thread keeps serving while the engine works. Notifications of
 * the channels listened to are delivered on this thread.
 */
export class EmbeddedEngine {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The channels listened to: their listeners, and the engine's registration of the channel. */
  private readonly channels = new Map<string, { listeners: Set<Listener>; registered: Promise<unknown> }>();
  /** Set once the thread has ended or failed: every call then fails with it, as a database that is down. */
  private gone: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    /** Whether opening made a new store: no database was in the data dir. */
    readonly created: boolean,
  ) {
    worker.on("message", (message: EngineMessage) => this.receive(message));
    worker.on("error", (err) => this.end(err));
    worker.on("exit", (code) =>
      this.end(new Error(`the embedded database thread ended (exit code ${code})`)),
    );
  }

  /** Starts the engine's thread and opens the store in `dataDir` (null: in memory). */
  static async open(dataDir: string | null): Promise<EmbeddedEngine> {
    const start: EngineStart = { dataDir, assets: await pgliteAssets() };
    const worker = new Worker(WORKER_SCRIPT, { workerData: start, resourceLimits: ENGINE_HEAP });
    try {
      return new EmbeddedEngine(worker, await opened(worker));
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  /** Runs one statement with its parameters. */
  async query<R>(sql: string, params: readonly unknown[] = []): Promise<EngineResult<R>> {
    const { rows, affectedRows } = await this.ask({ kind: "query", sql, params });
    return { rows: (rows ?? []) as R[], ...(affectedRows !== undefined ? { affectedRows } : {}) };
  }

  /** Calls `listener` with every payload NOTIFYed on `channel`; resolves to the function that stops it. */
  async listen(channel: string, listener: Listener): Promise<() => Promise<void>> {
    let heard = this.channels.get(channel);
    if (!heard) {
      // Kept with its registration, so a second listener waits for the same one and a failed one is retried.
      heard = { listeners: new Set(), registered: this.ask({ kind: "listen", channel }) };
      this.channels.set(channel, heard);
      heard.registered.catch(() => this.channels.delete(channel));
    }
    await heard.registered;
    heard.listeners.add(listener);
    const set = heard;
    return async () => {
      if (!set.listeners.delete(listener) || set.listeners.size > 0) return;
      this.channels.delete(channel);
      if (!this.gone) await this.ask({ kind: "unlisten", channel });
    };
  }

  /** Closes the database and ends its thread. */
  async close(): Promise<void> {
    if (this.gone) return;
    try {
      await this.ask({ kind: "close" });
    } finally {
      this.end(new Error("the embedded database is closed"));
      await this.worker.terminate();
    }
  }

  private ask(request: Request): Promise<EngineMessage & { kind: "done" }> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } as EngineRequest);
    });
  }

  private receive(message: EngineMessage): void {
    if (message.kind === "notify") {
      for (const listener of this.channels.get(message.channel)?.listeners ?? []) listener(message.payload);
      return;
    }
    if (message.kind !== "done" && message.kind !== "failed") return;
    const pending = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (message.kind === "done") pending?.resolve(message);
    else pending?.reject(fromEngineError(message.error));
  }

  private end(why: Error): void {
    this.gone ??= new DatabaseUnavailableError(why);
    for (const { reject } of this.pending.values()) reject(this.gone);
    this.pending.clear();
  }
}

/** Waits for the engine's thread to open the store; resolves to whether it made a new one. */
function opened(worker: Worker): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const onMessage = (message: EngineMessage) => {
      stop();
      if (message.kind === "opened") resolve(message.created);
      else if (message.kind === "open-failed") reject(fromEngineError(message.error));
      else reject(new Error(`the embedded database thread said ${message.kind} before it opened`));
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    const onExit = (code: number) => {
      stop();
      reject(new Error(`the embedded database thread exited (code ${code})`));
    };
    // Only these listeners: Node's Worker keeps listeners of its own on the same object.
    const stop = () => {
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
    };
    worker.on("message", onMessage).on("error", onError).on("exit", onExit);
  });
}
