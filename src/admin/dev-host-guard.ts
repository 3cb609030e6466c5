import type * as http from "node:http";
import type * as http2 from "node:http2";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;
type Handler = (req: Request, res: Response) => void;

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

/** Whether a `Host` (or `:authority`) value names this machine: localhost, 127.0.0.0/8 or [::1], any port. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOST.test(host);
}

/** Whether an `Origin` is a page served from this machine (`http(s)://` a loopback host). */
export function isLoopbackOrigin(origin: string): boolean {
  const match = /^https?:\/\/(.+)$/i.exec(origin);
  return match !== null && isLoopbackHost(match[1] as string);
}

/**
 * Why a request may not use the keyless `--dev` admin API, or null when it may. A browser page elsewhere
 * can reach a loopback port by DNS rebinding (its own name resolving to 127.0.0.1): such requests carry that
 * foreign name as `Host`, and cross-origin ones a foreign `Origin`. Programs (curl, grpcurl, the CLI) send
 * a loopback `Host` and no `Origin`.
 */
export function devRequestRefusal(host: string | undefined, origin: string | undefined): string | null {
  if (!host || !isLoopbackHost(host)) return "--dev answers only requests addressed to localhost";
  if (origin !== undefined && !isLoopbackOrigin(origin)) return "--dev answers no cross-site requests";
  return null;
}

/** `handler`, refusing (403) what devRequestRefusal refuses. */
export function devHostGuard(handler: Handler): Handler {
  return (req, res) => {
    const headers = req.headers as Record<string, string | string[] | undefined>;
    const host = headers[":authority"] ?? headers.host;
    const origin = headers.origin;
    const refusal = devRequestRefusal(
      typeof host === "string" ? host : undefined,
      typeof origin === "string" ? origin : origin === undefined ? undefined : "",
    );
    if (refusal === null) {
      handler(req, res);
      return;
    }
    res.writeHead(403, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify({ error: { code: "forbidden_host", message: refusal } }));
  };
}
