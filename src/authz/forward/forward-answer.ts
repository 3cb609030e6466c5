import type { Verdict } from "../authorizer.js";
import type { Deny } from "../decision.js";
import { denial } from "../denial.js";
import { IDENTITY_HEADERS } from "../identity-headers.js";
import type { HeaderPair } from "../rate-limit-headers.js";
import type { ForwardEndpoint } from "./forward-request.js";

/** An HTTP answer to a proxy, whichever HTTP version carries it. */
export interface ForwardAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Where the real status goes on `/authz/nginx`, whose proxy only passes 401 and 403 on. */
export const STATUS_HEADER = "x-keyward-status";

/**
 * The answer to a forward-auth request. Allow: 200, empty body, all four identity headers (empty when a value
 * is empty, so a proxy copying them always overwrites what the client sent) and the rate-limit headers. Deny:
 * Check's status, JSON body, `www-authenticate` and `retry-after`; on nginx's endpoint every denial names its
 * status in `x-keyward-status`, and a rate limit (429, which nginx would turn into a 500) is sent as 403.
 */
export function forwardAnswer(endpoint: ForwardEndpoint, { decision, limitHeaders }: Verdict): ForwardAnswer {
  if (decision.allow) {
    const headers: Record<string, string> = {
      [IDENTITY_HEADERS.keyId]: decision.keyId,
      [IDENTITY_HEADERS.companyId]: decision.companyId,
      [IDENTITY_HEADERS.scopes]: decision.scopes.join(" "),
      [IDENTITY_HEADERS.environment]: decision.environment,
      "cache-control": "no-store",
    };
    addAll(headers, limitHeaders);
    return { status: 200, headers, body: "" };
  }
  return denialAnswer(endpoint, decision, limitHeaders);
}

/** A denial as an HTTP answer: see `forwardAnswer`. */
export function denialAnswer(
  endpoint: ForwardEndpoint,
  d: Deny,
  limitHeaders: readonly HeaderPair[] = [],
): ForwardAnswer {
  const shared = denial(d);
  const headers: Record<string, string> = { "cache-control": "no-store" };
  addAll(headers, shared.headers);
  addAll(headers, limitHeaders);
  let status = shared.status;
  if (endpoint.nginx) {
    headers[STATUS_HEADER] = String(status);
    if (status !== 401 && status !== 403) status = 403;
  }
  return { status, headers, body: shared.body };
}

/** The answer when a fault (the database is down) leaves no decision: 503, never a verdict. */
export function unavailableAnswer(): ForwardAnswer {
  const body = JSON.stringify({
    error: { code: "unavailable", message: "The authorization backend is unavailable." },
  });
  return {
    status: 503,
    headers: { "content-type": "application/json", "cache-control": "no-store", "retry-after": "1" },
    body,
  };
}

/** The answer on the authz port to a path that is not an endpoint: 404, JSON like every other answer. */
export const NOT_FOUND: ForwardAnswer = {
  status: 404,
  headers: { "content-type": "application/json", "cache-control": "no-store" },
  body: JSON.stringify({
    error: {
      code: "not_found",
      message: "This port serves forward auth at /authz/forward and /authz/nginx, and gRPC over h2c.",
    },
  }),
};

function addAll(headers: Record<string, string>, pairs: readonly HeaderPair[]): void {
  for (const [name, value] of pairs) headers[name] = value;
}
