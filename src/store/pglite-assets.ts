import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { PGliteOptions } from "@electric-sql/pglite";

/** A compiled WebAssembly module, as PGlite takes it (this program's type libraries do not declare it). */
type WasmModule = NonNullable<PGliteOptions["pgliteWasmModule"]>;
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> };

/**
 * What every embedded engine loads the same: PostgreSQL and initdb compiled from WebAssembly, and the file
 * bundle PostgreSQL starts from. Compiled once per process and handed to each engine's thread, a new engine
 * skips most of a second of compiling (the tests open dozens).
 */
export interface PGliteAssets {
  pgliteWasmModule: WasmModule;
  initdbWasmModule: WasmModule;
  fsBundle: Uint8Array<ArrayBuffer>;
}

let loading: Promise<PGliteAssets | null> | undefined;

/** The assets, compiled on first use; null when the installed PGlite keeps them elsewhere (it then loads its own). */
export function pgliteAssets(): Promise<PGliteAssets | null> {
  loading ??= load().catch(() => null);
  return loading;
}

async function load(): Promise<PGliteAssets> {
  const dist = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  const [pglite, initdb, fsBundle] = await Promise.all(
    ["pglite.wasm", "initdb.wasm", "pglite.data"].map((name) => readFile(join(dist, name))),
  );
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
    WebAssembly.compile(pglite as Buffer),
    WebAssembly.compile(initdb as Buffer),
  ]);
  return { pgliteWasmModule, initdbWasmModule, fsBundle: new Uint8Array(fsBundle as Buffer) };
}
