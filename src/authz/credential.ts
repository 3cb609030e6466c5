/** Looks up a request header by its lower-case name; repeated headers joined with ",". */
type HeaderLookup = (name: string) => string | undefined;

/** Credential headers longer than this are refused unread: no key is anywhere near it. */
const MAX_CREDENTIAL_HEADER = 512;

/** The one credential sent, or why there is none usable. */
export function readCredential(headers: HeaderLookup): string | { code: "missing_key" | "malformed_key" } {
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
  return startsWithBearer(trimOws(value));
}

/** Whether `value` starts with "bearer" in any mix of case, compared in place (no string made). */
function startsWithBearer(value: string): boolean {
  if (value.length < BEARER.length) return false;
  // Setting bit 5 lower-cases an ASCII letter, and turns nothing else into one of these letters.
  for (let i = 0; i < BEARER.length; i++) {
    if ((value.charCodeAt(i) | 0x20) !== BEARER.charCodeAt(i)) return false;
  }
  return true;
}

const BEARER = "bearer";

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
  if (value.length < 8 || value.charCodeAt(6) !== 0x20 || !startsWithBearer(value)) {
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
