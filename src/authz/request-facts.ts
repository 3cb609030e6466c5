import type { CheckRequestView } from "./check-request-view.js";
import { readCredential } from "./credential.js";
import type { DenyCode } from "./decision.js";
import { companyFromPath, NO_REQUIREMENTS, type RouteSettings, RouteSettingsMemo } from "./route-settings.js";
import { sourceAddress } from "./source-address.js";

/** What the decision needs of one Check request, read once and never re-parsed. */
export interface RequestFacts {
  /** Set when the request is refused before any key is looked at. */
  problem: { code: DenyCode; message?: string } | null;
  /** The presented credential, when exactly one was sent. */
  credential: string | null;
  /** The caller's address as 16 bytes (IPv4 mapped), or null when Envoy reported none. */
  sourceIp: Uint8Array | null;
  /** The caller's address, normalised (no zone id, IPv4-mapped as IPv4), for records. */
  sourceAddress: string | null;
  /** What budgets and the keyless audit count the caller under: its IPv4 address or its IPv6 /64. */
  sourceKey: string | null;
  method: string;
  /** The path without query or fragment. */
  path: string;
  /** The `x-keyward-company` selector header, when sent. */
  companySelector: string | null;
  /** The company the route's `company_from` names: undefined when the route sets none, null when absent. */
  routeCompany: string | null | undefined;
  route: RouteSettings;
}

/** Settings the extraction depends on. */
export interface FactOptions {
  companyHeader: string;
  /** Parsed route settings, owned by the Check service that reads them. */
  routes: RouteSettingsMemo;
}

/** Fact options reading the company selector from `companyHeader`, with a memo of their own. */
export function factOptions(companyHeader: string): FactOptions {
  return { companyHeader, routes: new RouteSettingsMemo() };
}

/**
 * Reads a CheckRequest the way Envoy fills it, tolerating everything Envoy may send: either header encoding,
 * repeated headers, replaced non-UTF-8 bytes, missing addresses. Never throws.
 */
export function requestFacts(req: CheckRequestView, options: FactOptions): RequestFacts {
  const facts = blankFacts(req.method, stripQuery(req.path));
  readSource(req, facts);
  if (!req.hasAttributes || !req.hasHttp) {
    facts.problem = { code: "unsupported_request", message: "The check carries no HTTP request attributes." };
    return facts;
  }
  const route = options.routes.get(req.contextExtensions);
  if ("error" in route) {
    facts.problem = { code: "unsupported_request", message: `The route is misconfigured: ${route.error}.` };
    return facts;
  }
  readHeaderFacts(facts, route, readHeaders(req), options.companyHeader);
  return facts;
}

/**
 * The facts every protocol reads from the request headers alike, once the route is known: the company
 * selector, the route's company (from a header or the path), and the credential.
 */
export function readHeaderFacts(
  facts: RequestFacts,
  route: RouteSettings,
  headers: HeaderLookup,
  companyHeader: string,
): void {
  facts.route = route;
  // An empty header names no company: it is treated as absent.
  facts.companySelector = headers(companyHeader) || null;
  if (route.companyFrom) {
    facts.routeCompany =
      route.companyFrom.kind === "header"
        ? headers(route.companyFrom.name) || null
        : companyFromPath(route.companyFrom.template, facts.path);
  }
  const credential = readCredential(headers);
  if (typeof credential === "string") facts.credential = credential;
  else facts.problem = { code: credential.code };
}

/** Facts for a request not read yet beyond its method and path: no credential, no source, no route. */
export function blankFacts(method: string, path: string): RequestFacts {
  return {
    problem: null,
    credential: null,
    sourceIp: null,
    sourceAddress: null,
    sourceKey: null,
    method,
    path,
    companySelector: null,
    routeCompany: undefined,
    route: NO_REQUIREMENTS,
  };
}

/** Looks up a request header by its lower-case name; repeated headers joined with ",". */
export type HeaderLookup = (name: string) => string | undefined;

/**
 * Header lookup for either encoding Envoy uses. The `headers` map is read in place (Envoy lower-cases its
 * keys and joins repeats with ","), which keeps the hot path free of copying; `header_map` (raw headers)
 * is folded into the same shape first.
 */
function readHeaders(req: CheckRequestView): HeaderLookup {
  const raw = req.headerMap;
  if (raw.length > 0) {
    const headers = new Map<string, string>();
    for (const h of raw) {
      const name = h.key.toLowerCase();
      const value = h.rawValue.length > 0 ? decodeUtf8(h.rawValue) : h.value;
      const prior = headers.get(name);
      headers.set(name, prior === undefined ? value : `${prior},${value}`);
    }
    return (name) => headers.get(name);
  }
  return (name) => req.header(name);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Invalid UTF-8 becomes "!" as in Envoy's own header map, which no key or company id contains. */
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return "!";
  }
}

function readSource(req: CheckRequestView, facts: RequestFacts): void {
  const address = req.sourceAddress;
  if (address !== null) setSource(facts, address);
}

/** Records the caller's address in `facts`, normalised; nothing when it is not an IP address. */
export function setSource(facts: RequestFacts, address: string): void {
  const source = sourceAddress(address);
  if (!source) return;
  facts.sourceIp = source.bytes;
  facts.sourceAddress = source.text;
  facts.sourceKey = source.key;
}

/** The path of a request target, without its query or fragment. */
export function stripQuery(path: string): string {
  const query = path.indexOf("?");
  const fragment = path.indexOf("#");
  const end = query < 0 ? fragment : fragment < 0 ? query : Math.min(query, fragment);
  return end < 0 ? path : path.slice(0, end);
}
