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
  },
});
