import { ConfigError } from "../config.js";
import { DataDirBusyError } from "../store/data-dir.js";
import { keygen } from "./keygen.js";
import { migrate } from "./migrate.js";
import { serve } from "./serve.js";
import { status } from "./status.js";
import { UsageError } from "./usage-error.js";

const HELP = `Usage: keyward <command> [flags]

An API-key authorization sidecar for Envoy ext_authz, with a key-lifecycle admin API.

Commands:
  serve     run the authz and admin listeners
  migrate   bring the database schema up to date
  keygen    create a key and print it on stdout
  status    say whether a server is up and whether admin auth is on

Run 'keyward <command> --help' for a command's flags. Settings come from KEYWARD_* environment
variables: see the README.`;

const COMMANDS: Record<string, (args: string[], env: NodeJS.ProcessEnv) => Promise<number>> = {
  serve,
  migrate,
  keygen,
  status,
};

/** Runs the command line; returns the exit status. Expected failures are one line on stderr. */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`keyward: unknown command "${name}" (try keyward --help)`);
    return 2;
  }
  try {
    return await command(args, env);
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
  }
}
