import type { CheckRequestView } from "./check-request-view.js";
import type { DenyCode } from "./decision.js";
import { companyFromPath, NO_REQUIREMENTS, type RouteSettings, RouteSettingsMemo } from "./route-settings.js";
import { sourceAddress } from "./source-address.js";

/** Credential headers longer than this are refused unread: no key is anywhere near it. */
const MAX_CREDENTIAL_HEADER = 512;

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
  requestId: string;
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
  const facts: RequestFacts = {
    problem: null,
    credential: null,
    sourceIp: null,
    sourceAddress: null,
    sourceKey: null,
    method: req.method,
    path: stripQuery(req.path),
    companySelector: null,
    routeCompany: undefined,
    route: NO_REQUIREMENTS,
    requestId: req.id,
  };
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
  facts.route = route;
  const headers = readHeaders(req);
  // An empty header names no company: it is treated as absent.
  facts.companySelector = headers(options.companyHeader) || null;
  if (route.companyFrom) {
    facts.routeCompany =
      route.companyFrom.kind === "header"
        ? headers(route.companyFrom.name) || null
        : companyFromPath(route.companyFrom.template, facts.path);
  }
  const credential = readCredential(headers);
  if (typeof credential === "string") facts.credential = credential;
  else facts.problem = { code: credential.code };
  return facts;
}

/** Looks up a request header by its lower-case name. */
type HeaderLookup = (name: string) => string | undefined;

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

/** The one credential sent, or why there is none usable. */
function readCredential(headers: HeaderLookup): string | { code: DenyCode } {
  const authorization = headers("authorization");
  const apiKey = headers("x-api-key");
  if (authorization === undefined && apiKey === undefined) return { code: "missing_key" };
  if ((authorization?.length ?? 0) > MAX_CREDENTIAL_HEADER || (apiKey?.length ?? 0) > MAX_CREDENTIAL_HEADER) {
    return { code: "malformed_key" };
  }
  const key = apiKey === undefined ? undefined : trimOws(apiKey);
  let bearer: string | undefined;
  if (authorization !== undefined) {
    bearer = bearerToken(authorization);
    // Another scheme (`Basic …` for the upstream) beside an x-api-key is not a second key: the key counts.
    if (bearer === undefined && (key === undefined || isBearerScheme(authorization))) {
      return { code: "malformed_key" };
    }
  }
  // Two different keys in one request are ambiguous: refuse rather than guess which one counts.
  if (bearer !== undefined && key !== undefined && bearer !== key) return { code: "malformed_key" };
  const credential = bearer ?? key ?? "";
  return credential === "" ? { code: "missing_key" } : credential;
}

/** Whether a header value is (or tries to be) a bearer credential, whatever else is wrong with it. */
function isBearerScheme(value: string): boolean {
  return trimOws(value).slice(0, 6).toLowerCase() === "bearer";
}

/**
 * Strips HTTP's optional whitespace (spaces and tabs) and nothing else: `String.prototype.trim` would also
 * drop no-break and other Unicode spaces, which no key contains and no client should get away with sending.
 */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--;
  return value.slice(start, end);
}

/**
 * The token of `Bearer <token>` (scheme in any case, spaces around the token), or undefined when the value is
 * anything else: another scheme, no token, two tokens, or a comma (a repeated header Envoy joined).
 */
function bearerToken(value: string): string | undefined {
  if (value.length < 8 || value.charCodeAt(6) !== 0x20 || value.slice(0, 6).toLowerCase() !== "bearer") {
    return undefined;
  }
  let start = 7;
  while (value.charCodeAt(start) === 0x20) start++;
  let end = value.length;
  while (end > start && value.charCodeAt(end - 1) === 0x20) end--;
  if (end === start) return undefined;
  const space = value.indexOf(" ", start);
  if ((space >= 0 && space < end) || value.indexOf(",", start) >= 0) return undefined;
  return value.slice(start, end);
}

function readSource(req: CheckRequestView, facts: RequestFacts): void {
  const address = req.sourceAddress;
  if (address === null) return;
  const source = sourceAddress(address);
  if (!source) return;
  facts.sourceIp = source.bytes;
  facts.sourceAddress = source.text;
  facts.sourceKey = source.key;
}

function stripQuery(path: string): string {
  const query = path.indexOf("?");
  const fragment = path.indexOf("#");
  const end = query < 0 ? fragment : fragment < 0 ? query : Math.min(query, fragment);
  return end < 0 ? path : path.slice(0, end);
}
