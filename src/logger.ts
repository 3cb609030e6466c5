import { type Logger, pino } from "pino";

export type { Logger };

/**
 * Paths pino blanks in every log line. Keys should never reach a log call at all; this is the second wall in
 * case one does.
 */
const REDACT = [
  "authorization",
  "secret",
  "key",
  "token",
  "pepper",
  "*.authorization",
  "*.secret",
  "*.token",
  "*.pepper",
  "headers.authorization",
  'headers["x-api-key"]',
  "*.headers.authorization",
  '*.headers["x-api-key"]',
];

/** The one place loggers are made. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { service: "keyward" }, redact: { paths: REDACT, censor: "[redacted]" } };
  return destination ? pino(options, destination as never) : pino(options);
}
