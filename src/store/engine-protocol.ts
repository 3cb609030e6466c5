import type { PGliteAssets } from "./pglite-assets.js";

/**
 * The messages between the server's thread and the thread that runs embedded PGlite. Requests carry an id;
 * each is answered once, in the order the engine finishes them. Notifications arrive unasked.
 */

/** From the server's thread. */
export type EngineRequest =
  | { kind: "query"; id: number; sql: string; params: readonly unknown[] }
  | { kind: "listen"; id: number; channel: string }
  | { kind: "unlisten"; id: number; channel: string }
  | { kind: "close"; id: number };

/** From the engine's thread. */
export type EngineMessage =
  | { kind: "opened"; created: boolean }
  | { kind: "open-failed"; error: EngineError }
  | { kind: "done"; id: number; rows?: unknown[]; affectedRows?: number }
  | { kind: "failed"; id: number; error: EngineError }
  | { kind: "notify"; channel: string; payload: string };

/** What the engine's thread is started with. */
export interface EngineStart {
  /** The data dir; null keeps the database in memory. */
  dataDir: string | null;
  /** PGlite's compiled WebAssembly, when this process has it ready. */
  assets: PGliteAssets | null;
}

/**
 * An error as it crosses threads: its message, name and the plain fields PostgreSQL's errors carry (code,
 * detail, constraint, the query and its parameters, …), as the engine gave them: the logger, not this
 * hand-over, keeps the query and parameters out of logs.
 */
export interface EngineError {
  name: string;
  message: string;
  fields: Record<string, EngineErrorField>;
}

type EngineErrorField = string | number | boolean | unknown[];

/** Flattens an error for the other thread. */
export function toEngineError(err: unknown): EngineError {
  if (!(err instanceof Error)) return { name: "Error", message: String(err), fields: {} };
  const fields: Record<string, EngineErrorField> = {};
  for (const [name, value] of Object.entries(err)) {
    if (isField(value)) fields[name] = value;
  }
  return { name: err.name, message: err.message, fields };
}

function isField(value: unknown): value is EngineErrorField {
  const type = typeof value;
  return type === "string" || type === "number" || type === "boolean" || Array.isArray(value);
}

/** Rebuilds an error on this thread, with the fields it carried. */
export function fromEngineError(error: EngineError): Error {
  const err = new Error(error.message);
  Object.assign(err, error.fields);
  err.name = error.name;
  return err;
}
