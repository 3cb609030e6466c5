import { BoundedMemo } from "../bounded-memo.js";
import {
  MAX_SETTING_LENGTH,
  NO_REQUIREMENTS,
  parseRouteSettings,
  type RouteSettings,
  type RouteSettingsError,
} from "../route-settings.js";

/** The query parameters an auth URL may carry: the names of Check's `context_extensions`. */
const PARAMETERS = new Set(["scopes", "company_from", "environment"]);
/** Longer than the three settings at their caps, escaped: refused unread. */
const MAX_QUERY_LENGTH = 3 * (MAX_SETTING_LENGTH.scopes + MAX_SETTING_LENGTH.company_from + 64);

/**
 * A route's requirements from the auth URL's query (`?scopes=a:read+b:write&company_from=path:/v1/{company}/**`),
 * with the grammar of Check's `context_extensions`. The proxy's configuration owns that URL, so its few
 * distinct queries are memoised (bounded: a flood of distinct ones cannot grow memory without limit).
 */
export class RouteQueryMemo {
  private readonly memo = new BoundedMemo<string, RouteSettings | RouteSettingsError>(1024);

  get(query: string): RouteSettings | RouteSettingsError {
    if (query === "") return NO_REQUIREMENTS;
    if (query.length > MAX_QUERY_LENGTH) return { error: "the auth URL's query is too long" };
    let settings = this.memo.get(query);
    if (!settings) {
      settings = parseRouteQuery(query);
      this.memo.set(query, settings);
    }
    return settings;
  }
}

/** Parses an auth URL's query; an unknown or repeated parameter is an error, never ignored. */
export function parseRouteQuery(query: string): RouteSettings | RouteSettingsError {
  const values = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(query)) {
    // Names are not echoed: the message reaches callers, and the query is operator configuration.
    if (!PARAMETERS.has(name)) {
      return { error: "the auth URL has a query parameter other than scopes, company_from, environment" };
    }
    if (values.has(name)) return { error: `the auth URL's query repeats ${name}` };
    values.set(name, value);
  }
  return parseRouteSettings(
    values.get("scopes") ?? "",
    values.get("company_from") ?? "",
    values.get("environment") ?? "",
  );
}
