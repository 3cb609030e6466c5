import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";

/**
 * Counts every admin call by method and code, and keeps internal faults out of responses: a client sees
 * "internal error", the log keeps the cause.
 */
export function observeInterceptor(metrics: Metrics, logger: Logger): Interceptor {
  return (next) => async (req) => {
    const method = req.method.name;
    try {
      const res = await next(req);
      metrics.adminCalls.inc({ method, code: "ok" });
      return res;
    } catch (err) {
      const known = err instanceof ConnectError;
      const code = known ? err.code : Code.Internal;
      metrics.adminCalls.inc({ method, code: Code[code] ?? String(code) });
      if (!known) {
        logger.error({ err, method }, "admin call failed");
        throw new ConnectError("internal error", Code.Internal);
      }
      throw err;
    }
  };
}
