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

/**
 * Fields of database errors that carry what a query was about: its text, its parameters (a failed key lookup
 * would log an HMAC of the key), and the values PostgreSQL quotes back (`Key (key_hash)=(…) already exists`).
 */
const DATABASE_ERROR_FIELDS = ["query", "params", "parameters", "queryOptions", "detail", "internalQuery"];

/** pino's error serializer, minus the query material database errors carry, at any depth of `cause`. */
export function serializeError(err: unknown): unknown {
  const out = pino.stdSerializers.err(err as Error) as unknown;
  strip(out, 0);
  return out;
}

function strip(value: unknown, depth: number): void {
  if (typeof value !== "object" || value === null || depth > 8) return;
  const record = value as Record<string, unknown>;
  for (const field of DATABASE_ERROR_FIELDS) delete record[field];
  strip(record.cause, depth + 1);
  if (Array.isArray(record.aggregateErrors)) for (const e of record.aggregateErrors) strip(e, depth + 1);
}

/** The one place loggers are made. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: "keyward" },
    redact: { paths: REDACT, censor: "[redacted]" },
    serializers: { err: serializeError },
  };
  return destination ? pino(options, destination as never) : pino(options);
}
