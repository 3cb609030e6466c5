import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { parse } from "yaml";
import { type ProxyProcess, type Reply, readExample, send, substitute } from "./proxies.js";
import type { ProxyTargets } from "./proxies-nginx.js";

/** The shipped example, as the guide names it. */
export const TRAEFIK_EXAMPLE = "examples/traefik/dynamic.yml";

/** Every ForwardAuth option Traefik documents (v3): a name outside this set is a typo Traefik rejects. */
export const FORWARD_AUTH_OPTIONS = new Set([
  "address",
  "tls",
  "trustForwardHeader",
  "authResponseHeaders",
  "authResponseHeadersRegex",
  "authRequestHeaders",
  "addAuthCookiesToResponse",
  "headerField",
  "forwardBody",
  "maxBodySize",
  "preserveLocationHeader",
  "preserveRequestMethod",
]);

/** The parts of Traefik's dynamic configuration the example uses. */
export interface TraefikDynamic {
  http: {
    routers: Record<
      string,
      { entryPoints: string[]; rule: string; priority?: number; middlewares: string[]; service: string }
    >;
    middlewares: Record<
      string,
      { forwardAuth?: ForwardAuth; headers?: { customRequestHeaders: Record<string, string> } }
    >;
    services: Record<string, { loadBalancer: { servers: { url: string }[] } }>;
  };
}

/** A ForwardAuth middleware's options. */
export interface ForwardAuth {
  address: string;
  trustForwardHeader?: boolean;
  authResponseHeaders?: string[];
  authRequestHeaders?: string[];
  [option: string]: unknown;
}

/** The example, parsed, with its addresses moved to `targets` when given. */
export function loadTraefikExample(targets?: ProxyTargets): TraefikDynamic {
  const text = readExample(TRAEFIK_EXAMPLE);
  const moved = targets
    ? substitute(text, {
        "127.0.0.1:9191/": `127.0.0.1:${targets.keywardPort}/`,
        "127.0.0.1:3000": `127.0.0.1:${targets.upstreamPort}`,
      })
    : text;
  return parse(moved) as TraefikDynamic;
}

/** The router Traefik picks for `path`: among matching rules, the highest priority (default: rule length). */
export function routerFor(config: TraefikDynamic, path: string): string {
  const matching = Object.entries(config.http.routers).filter(([, r]) => ruleMatches(r.rule, path));
  matching.sort(([, a], [, b]) => (b.priority ?? b.rule.length) - (a.priority ?? a.rule.length));
  const first = matching[0];
  if (!first) throw new Error(`no router matches ${path}`);
  return first[0];
}

function ruleMatches(rule: string, path: string): boolean {
  const match = /^(Path|PathPrefix)\(`([^`]+)`\)$/.exec(rule);
  if (!match) throw new Error(`the replay reads only Path and PathPrefix rules, not ${rule}`);
  return match[1] === "Path" ? path.split("?")[0] === match[2] : path.startsWith(match[2] as string);
}

/** A client's request as it reaches Traefik. */
export interface ClientRequest {
  method: string;
  /** Path and query. */
  uri: string;
  host: string;
  /** The client's address as Traefik sees the connection. */
  clientIp: string;
  headers: Record<string, string>;
}

/** What Traefik does with a request: an answer from Keyward, or the headers the upstream receives. */
export type TraefikOutcome = { denied: Reply } | { upstreamHeaders: Record<string, string> };

/**
 * Replays a request through a router's middlewares as Traefik's documentation describes them: ForwardAuth
 * sends a GET to its address with the client's headers and X-Forwarded-Method/-Proto/-Host/-Uri/-For (the
 * client's own X-Forwarded-* replaced unless trustForwardHeader), returns a non-2xx answer to the client as
 * it is, and otherwise copies authResponseHeaders onto the request (a client's copy removed first); a
 * headers middleware sets customRequestHeaders, an empty value removing the header.
 */
export async function replayTraefik(config: TraefikDynamic, request: ClientRequest): Promise<TraefikOutcome> {
  const router = config.http.routers[routerFor(config, request.uri)];
  let headers = lowerCased(request.headers);
  for (const name of router?.middlewares ?? []) {
    const middleware = config.http.middlewares[name];
    if (middleware?.forwardAuth) {
      const answer = await askForwardAuth(middleware.forwardAuth, request, headers);
      if (answer.status < 200 || answer.status >= 300) return { denied: answer };
      headers = copyAuthResponseHeaders(middleware.forwardAuth, headers, answer);
    }
    for (const [header, value] of Object.entries(middleware?.headers?.customRequestHeaders ?? {})) {
      if (value === "") delete headers[header.toLowerCase()];
      else headers[header.toLowerCase()] = value;
    }
  }
  return { upstreamHeaders: headers };
}

async function askForwardAuth(
  auth: ForwardAuth,
  request: ClientRequest,
  headers: Record<string, string>,
): Promise<Reply> {
  const url = new URL(auth.address);
  const sent: Record<string, string> = { ...headers };
  if (auth.authRequestHeaders?.length) {
    const allowed = new Set(auth.authRequestHeaders.map((h) => h.toLowerCase()));
    for (const name of Object.keys(sent)) if (!allowed.has(name)) delete sent[name];
  }
  const trusted = auth.trustForwardHeader === true;
  const forwarded = (name: string, own: string) => (trusted && headers[name] ? headers[name] : own);
  sent["x-forwarded-for"] =
    trusted && headers["x-forwarded-for"]
      ? `${headers["x-forwarded-for"]}, ${request.clientIp}`
      : request.clientIp;
  sent["x-forwarded-method"] = forwarded("x-forwarded-method", request.method);
  sent["x-forwarded-proto"] = forwarded("x-forwarded-proto", "http");
  sent["x-forwarded-host"] = forwarded("x-forwarded-host", request.host);
  sent["x-forwarded-uri"] = forwarded("x-forwarded-uri", request.uri);
  // Traefik itself connects from 127.0.0.1, a trusted proxy by Keyward's default.
  return send(url.origin, `${url.pathname}${url.search}`, { headers: sent, from: "127.0.0.1" });
}

function copyAuthResponseHeaders(
  auth: ForwardAuth,
  headers: Record<string, string>,
  answer: Reply,
): Record<string, string> {
  const out = { ...headers };
  for (const name of auth.authResponseHeaders ?? []) {
    const key = name.toLowerCase();
    delete out[key];
    const value = answer.headers[key];
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/**
 * Traefik is not packaged here: this stands in for it, serving the example's routers on a free port with
 * `replayTraefik`, and proxying what passes to the router's service.
 */
export async function startTraefikReplay(targets: ProxyTargets): Promise<ProxyProcess> {
  const config = loadTraefikExample(targets);
  const server = createServer((req, res) => {
    serve(config, req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    dir: "",
    output: () => "",
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function serve(config: TraefikDynamic, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && name !== "host" && name !== "connection") {
      headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
  }
  const uri = req.url ?? "/";
  const outcome = await replayTraefik(config, {
    method: req.method ?? "GET",
    uri,
    host: req.headers.host ?? "",
    clientIp: req.socket.remoteAddress ?? "",
    headers,
  });
  if ("denied" in outcome) {
    const { status, headers: answerHeaders, body } = outcome.denied;
    const { connection: _c, "transfer-encoding": _t, "keep-alive": _k, ...passed } = answerHeaders;
    res.writeHead(status, passed);
    res.end(body);
    return;
  }
  const service = config.http.services[config.http.routers[routerFor(config, uri)]?.service ?? ""];
  const target = new URL(service?.loadBalancer.servers[0]?.url ?? "");
  const upstream = httpRequest({
    host: target.hostname,
    port: target.port,
    path: uri,
    method: req.method,
    headers: { ...outcome.upstreamHeaders, "x-forwarded-for": req.socket.remoteAddress ?? "" },
    agent: false,
  });
  upstream.on("response", (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on("error", (error) => {
    res.writeHead(502);
    res.end(String(error));
  });
  req.pipe(upstream);
}
