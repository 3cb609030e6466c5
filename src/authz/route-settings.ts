import { isCompanyId } from "../keys/company.js";
import type { Environment } from "../keys/format.js";
import { isValidScope } from "../keys/scopes.js";

/** Where a route says the target company is. */
export type CompanySource = { kind: "path"; template: readonly string[] } | { kind: "header"; name: string };

/** A route's requirements, from Envoy's `context_extensions`. */
export interface RouteSettings {
  scopes: readonly string[];
  companyFrom: CompanySource | null;
  environment: Environment | null;
}

/** A route whose settings cannot be parsed: its requests are denied `unsupported_request`. */
export interface RouteSettingsError {
  error: string;
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const COMPANY_SEGMENT = "{company}";
const CACHE_LIMIT = 4096;
/** What the memo may hold in setting text (UTF-16 units), whatever the number of entries. */
const CACHE_BYTES = 1024 * 1024;

/**
 * Longest setting accepted, in characters: 64 scopes of the longest form and the spaces between them fit
 * in `scopes`; no header name or path template comes near 1024. Anything longer is refused unparsed.
 */
export const MAX_SETTING_LENGTH = { scopes: 64 * 130, company_from: 1024, environment: 16 } as const;
/** Most scopes a route may require: as many as a key may hold. */
export const MAX_ROUTE_SCOPES = 64;

/** A route with no requirements: no scopes, no company source, any environment. */
export const NO_REQUIREMENTS: RouteSettings = { scopes: [], companyFrom: null, environment: null };

/**
 * Parsed route settings by their text. Envoy sends the same few strings on every request, so results are
 * memoised (bounded: a flood of distinct values from a misconfigured proxy cannot grow memory without limit).
 */
export class RouteSettingsMemo {
  private readonly cache = new Map<string, Map<string, Map<string, RouteSettings | RouteSettingsError>>>();
  private size = 0;
  /** Characters of setting text held: the memo is bounded by them too, not only by its entries. */
  private chars = 0;

  /** A route's settings, from Envoy's `context_extensions`. */
  get(ext: ReadonlyMap<string, string>): RouteSettings | RouteSettingsError {
    const scopes = ext.get("scopes") ?? "";
    const companyFrom = ext.get("company_from") ?? "";
    const environment = ext.get("environment") ?? "";
    if (!scopes && !companyFrom && !environment) return NO_REQUIREMENTS;
    // Checked before anything reads or keeps the text: a huge value costs neither parsing nor memory.
    const tooLong = oversizedSetting(scopes, companyFrom, environment);
    if (tooLong) return tooLong;
    // Nested by setting, so a lookup builds no key string: this runs on every Check.
    let byCompany = this.cache.get(scopes);
    if (!byCompany) {
      this.makeRoom();
      byCompany = new Map();
      this.cache.set(scopes, byCompany);
    }
    let byEnvironment = byCompany.get(companyFrom);
    if (!byEnvironment) {
      byEnvironment = new Map();
      byCompany.set(companyFrom, byEnvironment);
    }
    let settings = byEnvironment.get(environment);
    if (!settings) {
      if (this.makeRoom()) return this.get(ext);
      settings = parseRouteSettings(scopes, companyFrom, environment);
      byEnvironment.set(environment, settings);
      this.size++;
      this.chars += scopes.length + companyFrom.length + environment.length;
    }
    return settings;
  }

  /** Empties the memo when full; true when it did (the caller's nested maps are gone with it). */
  private makeRoom(): boolean {
    if (this.size < CACHE_LIMIT && this.chars < CACHE_BYTES) return false;
    this.cache.clear();
    this.size = 0;
    this.chars = 0;
    return true;
  }

  /** How much the memo holds now: entries, and characters of setting text. */
  get held(): { entries: number; chars: number } {
    return { entries: this.size, chars: this.chars };
  }
}

/** The refusal of a setting over its length cap, or undefined when all three fit. */
export function oversizedSetting(
  scopes: string,
  companyFrom: string,
  environment: string,
): RouteSettingsError | undefined {
  if (scopes.length > MAX_SETTING_LENGTH.scopes) return { error: "route setting scopes is too long" };
  if (companyFrom.length > MAX_SETTING_LENGTH.company_from) {
    return { error: "route setting company_from is too long" };
  }
  if (environment.length > MAX_SETTING_LENGTH.environment)
    return { error: "route setting environment is too long" };
  return undefined;
}

/** Parses the three context extensions Keyward reads. */
export function parseRouteSettings(
  scopes: string,
  companyFrom: string,
  environment: string,
): RouteSettings | RouteSettingsError {
  const tooLong = oversizedSetting(scopes, companyFrom, environment);
  if (tooLong) return tooLong;
  const required = scopes.split(/\s+/).filter(Boolean);
  if (required.length > MAX_ROUTE_SCOPES) {
    return { error: `route setting scopes names more than ${MAX_ROUTE_SCOPES} scopes` };
  }
  const badScope = required.find((s) => !isValidScope(s));
  // The bad value is not echoed: route settings are operator configuration, not something to show callers.
  if (badScope !== undefined) return { error: "route setting scopes holds an invalid scope" };
  if (environment && environment !== "live" && environment !== "test") {
    return { error: `route setting environment must be "live" or "test"` };
  }
  const source = companyFrom ? parseCompanySource(companyFrom) : null;
  if (source && "error" in source) return source;
  return { scopes: required, companyFrom: source, environment: (environment || null) as Environment | null };
}

function parseCompanySource(text: string): CompanySource | RouteSettingsError {
  if (text.startsWith("header:")) {
    const name = text.slice("header:".length).trim().toLowerCase();
    if (!HEADER_NAME.test(name)) return { error: "route setting company_from names an invalid header" };
    return { kind: "header", name };
  }
  if (text.startsWith("path:")) {
    const template = text.slice("path:".length).trim();
    const segments = template.split("/");
    const ok =
      template.startsWith("/") &&
      segments.filter((s) => s === COMPANY_SEGMENT).length === 1 &&
      segments.every((s) => s === COMPANY_SEGMENT || !/[{}]/.test(s)) &&
      !segments.some(isDotSegment) &&
      segments.every((s, i) => s !== "**" || i === segments.length - 1);
    if (!ok) {
      return { error: "route setting company_from must be path:<template> with one {company} segment" };
    }
    return { kind: "path", template: segments };
  }
  return { error: 'route setting company_from must start with "path:" or "header:"' };
}

/**
 * The company a request path names under `template`, or null when it does not match. Dot segments and
 * percent-encoding never match: what the upstream resolves must be what Keyward checked.
 */
export function companyFromPath(template: readonly string[], path: string): string | null {
  // Every dot segment starts with "." or holds "%" or "\\": a path with none of those cannot hold one, and
  // is matched in place, without splitting it. Any other path is split and checked segment by segment.
  const plain = !path.includes("/.") && !path.startsWith(".") && !path.includes("%") && !path.includes("\\");
  return plain ? matchPlainPath(template, path) : matchSegments(template, path.split("/"));
}

/** `companyFromPath` on a path known to hold no dot segment, reading its segments where they lie. */
function matchPlainPath(template: readonly string[], path: string): string | null {
  let company: string | null = null;
  // Where the current segment starts; past the end once the last one is read.
  let start = 0;
  for (let i = 0; i < template.length; i++) {
    const t = template[i] as string;
    if (t === "**") return company;
    if (start > path.length) return null;
    let end = path.indexOf("/", start);
    if (end < 0) end = path.length;
    if (t === COMPANY_SEGMENT) {
      const s = path.slice(start, end);
      if (!isCompanyId(s)) return null;
      company = s;
    } else if (t === "*") {
      if (end === start) return null;
    } else if (end - start !== t.length || !path.startsWith(t, start)) {
      return null;
    }
    start = end + 1;
  }
  return start === path.length + 1 ? company : null;
}

function matchSegments(template: readonly string[], segments: readonly string[]): string | null {
  let company: string | null = null;
  for (let i = 0; i < template.length; i++) {
    const t = template[i] as string;
    if (t === "**") return segments.slice(i).some(isDotSegment) ? null : company;
    const s = segments[i];
    if (s === undefined || isDotSegment(s)) return null;
    if (t === COMPANY_SEGMENT) {
      if (!isCompanyId(s)) return null;
      company = s;
    } else if (t === "*") {
      if (s === "") return null;
    } else if (t !== s) {
      return null;
    }
  }
  return segments.length === template.length ? company : null;
}

/**
 * A segment the upstream may resolve to another place: `.`, `..`, an encoded dot, slash or backslash, or a
 * literal backslash (which some servers read as a slash, turning `..\x` into a dot segment).
 */
function isDotSegment(s: string): boolean {
  return s === "." || s === ".." || s.startsWith(".;") || s.startsWith("..;") || /%(2e|2f|5c)|\\/i.test(s);
}
