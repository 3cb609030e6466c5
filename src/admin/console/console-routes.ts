import { ConnectError } from "@connectrpc/connect";
import type { Logger } from "../../logger.js";
import { peerAddress } from "../dual-listener.js";
import type { NodeHandlerFn } from "../http-routes.js";
import type { ConsoleSessions } from "./console-sessions.js";
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from "./cookies.js";
import { crossSiteProblem } from "./csrf.js";
import { CONSOLE_HEADERS } from "./security-headers.js";
import type { SignInLimit } from "./sign-in-limit.js";
import type { StaticFiles } from "./static-files.js";

type Request = Parameters<NodeHandlerFn>[0];
type Response = Parameters<NodeHandlerFn>[1];

/** What the console's HTTP routes need. */
export interface ConsoleRoutesOptions {
  sessions: ConsoleSessions;
  files: StaticFiles;
  /** Failed sign-ins per source address. */
  signInLimit: SignInLimit;
  /** Whether the session cookie is marked Secure. */
  secureCookie: boolean;
  logger: Logger;
}

/** The path of the sign-in (POST) and sign-out (DELETE) endpoint. */
export const SESSION_PATH = "/console/session";

const MAX_SIGN_IN_BODY = 4096;

/**
 * The console's plain-HTTP routes: `/` redirects to `/console/`, the session endpoint signs in and out, and
 * everything else under `/console/` is the built app. Returns false for paths that are not the console's.
 */
export function consoleRoutes(options: ConsoleRoutesOptions): (req: Request, res: Response) => boolean {
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (path === "/" && (req.method === "GET" || req.method === "HEAD")) {
      res.writeHead(302, { location: "/console/", "cache-control": "no-store" });
      res.end();
      return true;
    }
    if (path === SESSION_PATH) {
      sessionEndpoint(options, req, res).catch((err) => {
        options.logger.error({ err }, "console session endpoint failed");
        if (!res.headersSent) sendJson(res, 500, { error: { code: "internal", message: "internal error" } });
      });
      return true;
    }
    if (path === "/console" || path.startsWith("/console/")) {
      serveFile(options.files, req, res, path).catch(() => sendJson(res, 500, {}));
      return true;
    }
    return false;
  };
}

async function sessionEndpoint(options: ConsoleRoutesOptions, req: Request, res: Response): Promise<void> {
  const header = (name: string) => headerOf(req, name);
  const crossSite = crossSiteProblem(header);
  if (crossSite) {
    sendJson(res, 403, { error: { code: "permission_denied", message: `refused ${crossSite}` } });
    return;
  }
  if (req.method === "DELETE") {
    const id = readCookie(header("cookie"), SESSION_COOKIE);
    if (id) await options.sessions.signOut(id);
    sendJson(res, 200, {}, clearedSessionCookie(options.secureCookie));
    return;
  }
  // A JSON body cannot be sent cross-origin without a preflight, which this server never grants.
  if (req.method !== "POST" || !(header("content-type") ?? "").startsWith("application/json")) {
    sendJson(res, 405, { error: { code: "method_not_allowed", message: "POST a JSON body, or DELETE" } });
    return;
  }
  const address = peerAddress(req);
  const wait = options.signInLimit.retryAfter(address ?? "");
  if (wait > 0) {
    // Refused before the key is even read: while limited, a right key fares no better than a guess.
    res.setHeader("retry-after", String(wait));
    sendJson(res, 429, {
      error: { code: "resource_exhausted", message: `too many failed sign-ins; retry after ${wait} s` },
    });
    return;
  }
  const credential = await readCredential(req);
  if (credential === null) {
    sendJson(res, 400, { error: { code: "invalid_argument", message: 'send {"key": "<admin key>"}' } });
    return;
  }
  try {
    const session = await options.sessions.signIn(credential, address);
    const maxAge = (session.expireTime.getTime() - Date.now()) / 1000;
    sendJson(
      res,
      200,
      { expire_time: session.expireTime.toISOString() },
      sessionCookie(session.id, maxAge, options.secureCookie),
    );
  } catch (err) {
    if (!(err instanceof ConnectError)) throw err;
    options.signInLimit.failed(address ?? "");
    sendJson(res, 401, { error: { code: "unauthenticated", message: err.rawMessage } });
  }
}

async function readCredential(req: Request): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_SIGN_IN_BODY) return null;
    chunks.push(chunk);
  }
  try {
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const key = (body as { key?: unknown } | null)?.key;
    return typeof key === "string" && key.length > 0 ? key.trim() : null;
  } catch {
    return null;
  }
}

async function serveFile(files: StaticFiles, req: Request, res: Response, path: string): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    sendJson(res, 405, { error: { code: "method_not_allowed", message: "GET only" } });
    return;
  }
  if (path === "/console") {
    res.writeHead(302, { location: "/console/", "cache-control": "no-store" });
    res.end();
    return;
  }
  const file = await files.lookup(decodeURIComponent(path.slice("/console/".length)));
  if (!file) {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8", ...CONSOLE_HEADERS });
    res.end("not found (run `npm run build` to build the console)\n");
    return;
  }
  const gzip = file.gzipped !== null && /\bgzip\b/.test(headerOf(req, "accept-encoding") ?? "");
  const body = gzip && file.gzipped ? file.gzipped : file.body;
  res.writeHead(200, {
    "content-type": file.type,
    "content-length": String(body.length),
    "cache-control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    vary: "accept-encoding",
    ...(gzip ? { "content-encoding": "gzip" } : {}),
    ...CONSOLE_HEADERS,
  });
  if (req.method === "HEAD") res.end();
  else res.end(body);
}

function headerOf(req: Request, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

function sendJson(res: Response, status: number, body: unknown, cookie?: string): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    ...CONSOLE_HEADERS,
    ...(cookie ? { "set-cookie": cookie } : {}),
  });
  res.end(JSON.stringify(body));
}
