import { defineConfig } from "vitest/config";

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "react" } },
  test: {
    include: ["test/**/*.test.ts", "console/test/**/*.test.{ts,tsx}"],
    testTimeout: 30_000,
    // Starting an app (PGlite and both listeners) can take most of a minute on a loaded machine.
    hookTimeout: 180_000,
    // Integration suites each start real servers on their own database; two at a time fits two cores.
    maxWorkers: 2,
    // A worker runs file after file in one process, loading the program's modules (and compiling PGlite)
    // once instead of once per file: that was about half of the suite's CPU time. Each file still starts its
    // own app on its own database, and nothing in src/ or test/helpers keeps state between files.
    isolate: false,
  },
});
