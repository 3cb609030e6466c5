/**
 * Thread entry: runs embedded PGlite off the server's thread. PostgreSQL compiled to WebAssembly runs each
 * statement synchronously; in the server's own thread the usage flush alone held the event loop for
 * several milliseconds a second, and every Check that arrived meanwhile waited. Here it holds only this
 * thread. Started by `EmbeddedEngine.open`; speaks `engine-protocol.ts`.
 */
import { parentPort, workerData } from "node:worker_threads";
import {
  type EngineMessage,
  type EngineRequest,
  type EngineStart,
  toEngineError,
} from "./engine-protocol.js";
import { openPGlite } from "./pglite-open.js";

const port = parentPort;
if (!port) throw new Error("pglite-worker runs as a worker thread");
/** Posts `message`; one that cannot be copied to the other thread is answered with why instead. */
const post = (message: EngineMessage) => {
  try {
    port.postMessage(message);
  } catch (err) {
    if (!("id" in message)) throw err;
    port.postMessage({ kind: "failed", id: message.id, error: toEngineError(err) } satisfies EngineMessage);
  }
};
const start = workerData as EngineStart;

try {
  const { pglite, created } = await openPGlite(start.dataDir, start.assets);
  const listeners = new Map<string, () => Promise<void>>();
  const handle = async (request: EngineRequest): Promise<EngineMessage> => {
    const { id } = request;
    switch (request.kind) {
      case "query": {
        const result = await pglite.query(request.sql, request.params as unknown[]);
        return { kind: "done", id, rows: result.rows, affectedRows: result.affectedRows };
      }
      case "listen": {
        const channel = request.channel;
        if (!listeners.has(channel)) {
          const stop = await pglite.listen(channel, (payload) => post({ kind: "notify", channel, payload }));
          listeners.set(channel, stop);
        }
        return { kind: "done", id };
      }
      case "unlisten": {
        await listeners.get(request.channel)?.();
        listeners.delete(request.channel);
        return { kind: "done", id };
      }
      case "close": {
        await pglite.close();
        return { kind: "done", id };
      }
    }
  };
  port.on("message", (request: EngineRequest) => {
    handle(request)
      .then(post, (err: unknown) => post({ kind: "failed", id: request.id, error: toEngineError(err) }))
      // Closed: nothing more can be asked, and the thread ends once its port is closed.
      .finally(() => request.kind === "close" && port.close());
  });
  post({ kind: "opened", created });
} catch (err) {
  post({ kind: "open-failed", error: toEngineError(err) });
}
