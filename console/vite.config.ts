import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** The console is served by the admin listener under /console/, with hashed assets kept by browsers for a year. */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  oxc: { jsx: { runtime: "automatic", importSource: "react" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/console", import.meta.url)),
    emptyOutDir: true,
    // The CSP allows only this origin's own files: no inline scripts, so no preload polyfill either.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      // TanStack Query marks files "use client" for React Server Components, which a plain SPA does not use.
      onLog(level, log, handler) {
        if (log.code === "MODULE_LEVEL_DIRECTIVE") return;
        handler(level, log);
      },
    },
  },
});
