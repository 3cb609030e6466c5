import { parseArgs } from "node:util";
import { UsageError } from "./usage-error.js";

type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

/** Parses flags strictly: an unknown flag, a missing value or a stray argument is a UsageError naming it. */
export function parseFlags<T extends OptionSpec>(args: string[], options: T) {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    return values as { [K in keyof T]?: T[K]["type"] extends "string" ? string : boolean } & {
      help?: boolean;
    };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(flagMessage((err as Error).message));
  }
}

/** node:util's messages, shortened to one line that names the flag. */
function flagMessage(message: string): string {
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown flag ${unknown[1]}`;
  const needsValue = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message);
  if (needsValue) return `flag ${needsValue[1]} needs a value`;
  const noValue = /Option '(--[\w-]+)' does not take an argument/.exec(message);
  if (noValue) return `flag ${noValue[1]} takes no value`;
  return message.split("\n")[0] ?? message;
}
