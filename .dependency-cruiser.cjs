/**
 * Keyward's layering, checked in CI (`npm run deps`). From the ground up:
 *   keys/            key format, checksum, hashing, minting (pure)
 *   store/           the database, migrations, repositories: the only place rows and queries live
 *   usage/ ratelimit/ rpc/ metrics logger config
 *   webhooks/ notify/  event delivery, expiry warnings and alerts (events are published through the store)
 *   lifecycle/       the one write path for keys, users and memberships (transaction + audit + eviction)
 *   authz/           the Check service and the pure decision core
 *   context.ts       the AppContext, built once from config
 *   admin/           KeyAdmin handlers and admin authentication
 *   app.ts           runs the listeners
 *   cli/ main.ts     commands
 * An import may only run downward. A rule's name says what it protects.
 */
const layer = (dirs) => `^src/(${dirs.join("|")})(/|\\.ts$)`;

module.exports = {
  forbidden: [
    {
      name: "no-import-cycles",
      comment: "A cycle ties modules into one knot: none may be understood, tested or moved alone.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "keys-are-the-ground-floor",
      comment: "keys/ is pure key handling: it imports nothing of Keyward's outside keys/.",
      severity: "error",
      from: { path: "^src/keys/" },
      to: { path: "^src/", pathNot: "^src/keys/" },
    },
    {
      name: "store-imports-nothing-above-it",
      comment: "store/ holds rows and queries; it knows keys/ and the usage batch shape, never the services.",
      severity: "error",
      from: { path: "^src/store/" },
      to: {
        path: layer(["authz", "admin", "cli", "app", "context", "lifecycle", "ratelimit", "rpc", "config"]),
      },
    },
    {
      name: "usage-writes-through-its-own-interface",
      comment:
        "The usage recorder writes through TrafficSink, which usage/ declares; the store implements it.",
      severity: "error",
      from: { path: "^src/usage/" },
      to: { path: layer(["store", "authz", "admin", "cli", "app", "context", "lifecycle"]) },
    },
    {
      name: "lifecycle-below-the-handlers",
      comment: "The key write path serves the admin API and the CLI alike, and knows neither.",
      severity: "error",
      from: { path: "^src/lifecycle/" },
      to: { path: layer(["authz", "admin", "cli", "app", "context"]) },
    },
    {
      name: "events-below-the-write-path",
      comment:
        "webhooks/ and notify/ deliver and schedule events; the write path publishes them through the store, so they never reach up into it or the servers.",
      severity: "error",
      from: { path: "^src/(webhooks|notify)/" },
      to: { path: layer(["authz", "admin", "cli", "app", "context", "lifecycle"]) },
    },
    {
      name: "authz-below-admin",
      comment: "The Check path stands alone: admin may use its decision core, never the other way round.",
      severity: "error",
      from: { path: "^src/authz/" },
      to: { path: layer(["admin", "cli", "app", "context", "lifecycle"]) },
    },
    {
      name: "context-below-the-servers",
      comment: "The AppContext builds collaborators; it does not know the servers that use it.",
      severity: "error",
      from: { path: "^src/context\\.ts$" },
      to: { path: layer(["admin", "cli", "app"]) },
    },
    {
      name: "admin-below-the-app",
      comment: "Handlers get everything from the AppContext; they never reach up into the app or the CLI.",
      severity: "error",
      from: { path: "^src/admin/" },
      to: { path: layer(["cli", "app"]) },
    },
    {
      name: "leak-endpoints-beside-admin",
      comment:
        "leaks/ serves the leak-report endpoints from the AppContext and the key write path; the app wires it in, never the other way round.",
      severity: "error",
      from: { path: "^src/leaks/" },
      to: { path: layer(["cli", "app"]) },
    },
    {
      name: "below-the-leak-endpoints",
      comment: "Only the app wires the leak endpoints in: nothing below it may reach them.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(app\\.ts|leaks/)" },
      to: { path: "^src/leaks/" },
    },
    {
      name: "config-does-not-import-the-cli",
      comment: "Settings are read by config.ts for every command; the CLI uses config, not the reverse.",
      severity: "error",
      from: { path: "^src/(config|logger|metrics|duration)\\.ts$" },
      to: { path: layer(["cli", "app", "context", "admin", "authz", "lifecycle"]) },
    },
    {
      name: "shared-plumbing-stays-low",
      comment: "ratelimit/ and rpc/ are shared plumbing: they import no service above them.",
      severity: "error",
      from: { path: "^src/(ratelimit|rpc)/" },
      to: { path: layer(["authz", "admin", "cli", "app", "context", "lifecycle", "store"]) },
    },
    {
      name: "generated-code-is-self-contained",
      comment: "src/gen is generated from protos and never edited: it imports only itself and its runtime.",
      severity: "error",
      from: { path: "^src/gen/" },
      to: { path: "^src/", pathNot: "^src/gen/" },
    },
    {
      name: "src-does-not-import-tests-or-bench",
      comment: "Production code never depends on test helpers or the bench.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "src-uses-no-dev-dependencies",
      comment: "What ships may only need the package's dependencies.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/gen/" },
      to: { dependencyTypes: ["npm-dev"], pathNot: "node_modules/@types/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js"],
    },
  },
};
