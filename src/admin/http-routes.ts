import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

export type NodeHandlerFn = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

import type { Metrics } from "../metrics.js";

/** The plain-HTTP endpoints beside the RPCs: liveness, readiness and Prometheus metrics. */
export function httpRoutes(options: {
  metrics: Metrics;
  ready: () => Promise<boolean>;
  adminAuth: "on" | "dev";
}): NodeHandlerFn {
  const handler: NodeHandlerFn = (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(
        404,
        "application/json",
        JSON.stringify({ error: { code: "not_found", message: "no such endpoint" } }),
      );
      return;
    }
    if (path === "/healthz") {
      send(200, "application/json", JSON.stringify({ status: "ok", admin_auth: options.adminAuth }));
    } else if (path === "/readyz") {
      options.ready().then(
        (ready) =>
          send(
            ready ? 200 : 503,
            "application/json",
            JSON.stringify({ status: ready ? "ready" : "not_ready" }),
          ),
        () => send(503, "application/json", JSON.stringify({ status: "not_ready" })),
      );
    } else if (path === "/metrics") {
      options.metrics.registry.metrics().then(
        (text) => send(200, options.metrics.registry.contentType, text),
        () => send(500, "text/plain", "metrics unavailable\n"),
      );
    } else {
      send(
        404,
        "application/json",
        JSON.stringify({ error: { code: "not_found", message: "no such endpoint" } }),
      );
    }
  };
  return handler;
}
