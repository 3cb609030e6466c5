import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { PGliteOptions } from "@electric-sql/pglite";

/** A compiled WebAssembly module, as PGlite takes it (this program's type libraries do not declare it). */
type WasmModule = NonNullable<PGliteOptions["pgliteWasmModule"]>;
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> };

/**
 * PostgreSQL and initdb compiled from WebAssembly. Compiled once per process and handed to each engine's
 * thread (threads share compiled code), a new engine skips most of a second of compiling (the tests open
 * dozens). The engine reads PostgreSQL's file bundle itself: kept here too, it would be held twice.
 */
export interface PGliteAssets {
  pgliteWasmModule: WasmModule;
  initdbWasmModule: WasmModule;
}

let loading: Promise<PGliteAssets | null> | undefined;

/** The modules, compiled on first use; null when PGlite keeps them elsewhere (it then compiles its own). */
export function pgliteAssets(): Promise<PGliteAssets | null> {
  loading ??= load().catch(() => null);
  return loading;
}

async function load(): Promise<PGliteAssets> {
  const dist = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  const compile = async (name: string) => WebAssembly.compile(await readFile(join(dist, name)));
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([
    compile("pglite.wasm"),
    compile("initdb.wasm"),
  ]);
  return { pgliteWasmModule, initdbWasmModule };
}
