import type { Cidr } from "../../keys/cidr.js";
import {
  blankFacts,
  type HeaderLookup,
  type RequestFacts,
  readHeaderFacts,
  setSource,
  stripQuery,
} from "../request-facts.js";
import { clientAddress } from "./client-address.js";
import type { RouteQueryMemo } from "./route-query.js";

/** One forward-auth endpoint: where it is, and which headers carry the original request's method and URI. */
export interface ForwardEndpoint {
  path: string;
  methodHeader: string;
  uriHeader: string;
  /** How the URI header is spelled in messages (as the proxies' documentation spells it). */
  uriHeaderName: string;
  /** nginx turns every auth status but 401 and 403 into a 500: a rate limit must be told another way. */
  nginx: boolean;
}

/** Traefik, Caddy, and any proxy that sends the `X-Forwarded-*` set. */
export const FORWARD_ENDPOINT: ForwardEndpoint = {
  path: "/authz/forward",
  methodHeader: "x-forwarded-method",
  uriHeader: "x-forwarded-uri",
  uriHeaderName: "X-Forwarded-Uri",
  nginx: false,
};

/** nginx `auth_request` and ingress-nginx `auth-url`, with the headers nginx's documentation uses. */
export const NGINX_ENDPOINT: ForwardEndpoint = {
  path: "/authz/nginx",
  methodHeader: "x-original-method",
  uriHeader: "x-original-uri",
  uriHeaderName: "X-Original-URI",
  nginx: true,
};

/** A forward-auth request as either HTTP version delivers it. */
export interface ForwardRequest {
  /** The auth request's own method: the original one when the proxy sends no method header. */
  method: string;
  /** The auth URL's query, without the "?". */
  query: string;
  /** Header names and values in turn, as received: repeats are kept, never merged or dropped by Node. */
  rawHeaders: readonly string[];
  /** The TCP peer's address. */
  peer: string | undefined;
}

/** What reading a forward-auth request depends on. */
export interface ForwardReadOptions {
  companyHeader: string;
  trustedProxies: readonly Cidr[];
  routes: RouteQueryMemo;
}

/**
 * Reads a forward-auth request into the same facts a Check gives: the route's requirements from the auth URL,
 * the original method and path from the proxy's headers, the client's address by the trusted-proxy rules,
 * and the credential and company selector as Check reads them. Never throws.
 */
export function forwardFacts(
  endpoint: ForwardEndpoint,
  req: ForwardRequest,
  options: ForwardReadOptions,
): RequestFacts {
  const headers = headerLookup(req.rawHeaders);
  const uri = headers(endpoint.uriHeader);
  const facts = blankFacts(
    headers(endpoint.methodHeader) || req.method,
    uri === undefined ? "" : stripQuery(uri),
  );
  const source = clientAddress(
    req.peer,
    headers("x-forwarded-for"),
    headers("x-real-ip"),
    options.trustedProxies,
  );
  if (source !== null) setSource(facts, source);
  const route = options.routes.get(req.query);
  if ("error" in route) {
    facts.problem = {
      code: "unsupported_request",
      message: `The auth URL is misconfigured: ${route.error}.`,
    };
    return facts;
  }
  if (uri === undefined && route.companyFrom?.kind === "path") {
    facts.problem = {
      code: "unsupported_request",
      message: `The request has no ${endpoint.uriHeaderName} header, and the route reads the company from the path.`,
    };
    return facts;
  }
  readHeaderFacts(facts, route, headers, options.companyHeader);
  return facts;
}

/** Lower-cased lookup over raw headers; repeats joined with "," as Envoy joins them for Check. */
function headerLookup(raw: readonly string[]): HeaderLookup {
  const headers = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const prior = headers.get(name);
    headers.set(name, prior === undefined ? value : `${prior},${value}`);
  }
  return (name) => headers.get(name);
}
