import type { Interceptor } from "@connectrpc/connect";
import type { KeyVerifier } from "../../authz/key-verifier.js";
import { type Config, isLoopback } from "../../config.js";
import type { Logger } from "../../logger.js";
import type { Database } from "../../store/database.js";
import type { KeyRepository } from "../../store/key-repository.js";
import { SessionRepository } from "../../store/session-repository.js";
import { consoleRoutes } from "./console-routes.js";
import { ConsoleSessions } from "./console-sessions.js";
import { sessionAuthInterceptor } from "./session-auth.js";
import { SignInLimit } from "./sign-in-limit.js";
import { DEFAULT_CONSOLE_DIR, StaticFiles } from "./static-files.js";

/** The console's pieces the admin listener mounts: its HTTP routes and its session interceptor. */
export interface ConsoleParts {
  routes: ReturnType<typeof consoleRoutes>;
  interceptor: Interceptor;
}

/** Builds the console's pieces, or null when `KEYWARD_CONSOLE=off`. */
export function consoleParts(deps: {
  config: Config;
  database: Database;
  keys: KeyRepository;
  verifier: KeyVerifier;
  logger: Logger;
  now: () => number;
}): ConsoleParts | null {
  if (!deps.config.console) return null;
  const sessions = new ConsoleSessions({
    verifier: deps.verifier,
    keys: deps.keys,
    sessions: new SessionRepository(deps.database.db),
    ttlMs: deps.config.consoleSessionTtlMs,
    now: deps.now,
  });
  return {
    interceptor: sessionAuthInterceptor(sessions),
    routes: consoleRoutes({
      sessions,
      signInLimit: new SignInLimit(deps.now),
      files: new StaticFiles(DEFAULT_CONSOLE_DIR),
      secureCookie: !isLoopback(deps.config.adminListen.host),
      logger: deps.logger,
    }),
  };
}
