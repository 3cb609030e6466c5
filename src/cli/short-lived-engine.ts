import { setFlagsFromString } from "node:v8";

/**
 * Compiles embedded PGlite's WebAssembly with V8's baseline compiler only. By default V8 also recompiles the
 * functions that run often with its optimizing compiler, in the background: worth it for `serve`, which runs for
 * days, but a command that opens the store, runs a few statements and exits pays for that work and never gains
 * from it. Measured here for `keyward keygen` on an existing data dir: 1.6 CPU-seconds and 250 MB without this,
 * 0.85 CPU-seconds and 160 MB with it, 0.3 s sooner. Must run before PGlite is loaded.
 */
export function compileWasmForShortRun(): void {
  setFlagsFromString("--liftoff-only");
}
