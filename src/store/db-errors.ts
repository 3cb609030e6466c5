/**
 * SQLSTATE classes and codes that say "the database could not be reached or gave up", not "the query was
 * wrong": 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown, crash
 * recovery, statement timeout), 58 system error.
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57|58)/;

/** Node socket errors of a lost or refused connection. */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** pg's own messages for a connection that dropped or never came (it gives them no code). */
const PG_MESSAGES = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  "Query read timeout",
  "Client has encountered a connection error",
  "Client was closed and is not queryable",
  "Cannot use a pool after calling end",
];

/** A database call that did not finish in time; the database may be hung. */
export class DatabaseTimeoutError extends Error {
  override name = "DatabaseTimeoutError";
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not finish within ${ms} ms`);
  }
}

/** Refused without asking: the database is known to be down (`cause`: what brought it down, when known). */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
  constructor(cause?: Error) {
    super("database unavailable", cause ? { cause } : undefined);
  }
}

/**
 * Whether `err` means the database is unreachable, down or hung (a fault to answer UNAVAILABLE), rather than
 * a bug or a bad query (INTERNAL).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; depth++) {
    if (e instanceof DatabaseTimeoutError || e instanceof DatabaseUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
    if (PG_MESSAGES.some((m) => e instanceof Error && e.message.includes(m))) return true;
    e = e.cause;
  }
  return false;
}

/** Whether `err` is a call that ran out of time (ours, pg's reply timeout, or the server's statement timeout). */
export function isDatabaseTimeout(err: unknown): boolean {
  if (err instanceof DatabaseTimeoutError) return true;
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === "57014" || (typeof e?.message === "string" && e.message.includes("Query read timeout"));
}

/**
 * Rejects with a DatabaseTimeoutError after `ms` unless `work` settles first. The verdict waits one
 * setImmediate past the timer: after an event-loop stall Node runs due timers before it reads sockets, and a
 * plain timer would fail a reply that arrived in time.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => setImmediate(() => reject(new DatabaseTimeoutError(what, ms))), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
