import { ConfigError } from "../config.js";
import { DataDirBusyError } from "../store/data-dir.js";
import { compileWasmForShortRun } from "./short-lived-engine.js";
import { trapStopSignals } from "./stop-signals.js";
import { UsageError } from "./usage-error.js";

const HELP = `Usage: keyward <command> [flags]

An API-key authorization sidecar for Envoy ext_authz, with a key-lifecycle admin API.

Commands:
  serve     run the authz and admin listeners
  migrate   bring the database schema up to date
  keygen    create a key and print it on stdout
  status    say whether a server is up and whether admin auth is on
  reset-keys  revoke every key (of one company) at once

Run 'keyward <command> --help' for a command's flags. Settings come from KEYWARD_* environment
variables: see the README.`;

type Command = (args: string[], env: NodeJS.ProcessEnv, stop?: AbortSignal) => Promise<number>;

/**
 * Each command is loaded when it runs: the servers, the store and the RPC stacks take most of a second to
 * import, which `--help`, a typo or `status` should not pay for.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import("./serve.js")).serve,
  migrate: async () => (await import("./migrate.js")).migrate,
  keygen: async () => (await import("./keygen.js")).keygen,
  status: async () => (await import("./status.js")).status,
  "reset-keys": async () => (await import("./reset-keys.js")).resetKeys,
};

/** Runs the command line; returns the exit status. Expected failures are one line on stderr. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    console.error(HELP);
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    console.log(HELP);
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    const what = name.startsWith("-") ? `unknown flag ${name}` : `unknown command "${name}"`;
    console.error(`keyward: ${what} (try keyward --help)`);
    return 2;
  }
  // The server hears SIGTERM from the first moment, before its modules have even loaded.
  const stop = name === "serve" ? trapStopSignals() : undefined;
  if (name !== "serve") compileWasmForShortRun();
  try {
    const command = await load();
    return await command(args, env, stop?.signal);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`keyward ${name}: ${err.message}`);
      return 2;
    }
    if (err instanceof DataDirBusyError) {
      console.error(`keyward ${name}: ${err.message}`);
      return 1;
    }
    const message = err instanceof Error ? err.message : String(err);
    console.error(`keyward ${name}: ${message.split("\n")[0]}`);
    return 1;
  } finally {
    stop?.dispose();
  }
}
