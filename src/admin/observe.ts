import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { DatabaseHealth } from "../store/database-health.js";
import { DatabaseUnavailableError, isDatabaseUnavailable } from "../store/db-errors.js";

/**
 * Counts every admin call by method and code, and keeps internal faults out of responses: a client sees
 * "internal error" (or "database unavailable", UNAVAILABLE, which a client may retry), the log keeps the cause.
 */
export function observeInterceptor(metrics: Metrics, logger: Logger, health?: DatabaseHealth): Interceptor {
  return (next) => async (req) => {
    const method = req.method.name;
    try {
      // While the database is known to be down, a call fails at once instead of queueing behind it.
      if (health?.down) throw new DatabaseUnavailableError();
      const res = await next(req);
      metrics.adminCalls.inc({ method, code: "ok" });
      return res;
    } catch (err) {
      const known = err instanceof ConnectError;
      const unavailable = !known && isDatabaseUnavailable(err);
      const code = known ? err.code : unavailable ? Code.Unavailable : Code.Internal;
      metrics.adminCalls.inc({ method, code: Code[code] ?? String(code) });
      if (known) throw err;
      health?.report(err);
      logger.error({ err, method }, "admin call failed");
      throw unavailable
        ? new ConnectError("database unavailable", Code.Unavailable)
        : new ConnectError("internal error", Code.Internal);
    }
  };
}
