import { hash, timingSafeEqual } from "node:crypto";
import {
  type LeakRequest,
  type LeakResponse,
  optionalText,
  parseJson,
  readBody,
  sendEmpty,
  sendError,
  sendJson,
} from "./http-io.js";
import { type LeakDeps, type ReportedToken, reportLeaks } from "./report-leaks.js";

/**
 * The token type GitLab's secret detection names Keyward keys by: the analyzer's primary identifier type and
 * value joined, for the gitleaks rule `keyward_api_key` of docs/leaked-keys.md.
 */
export const GITLAB_TOKEN_TYPE = "gitleaks_rule_id_keyward_api_key";

const MAX_BODY = 1024 * 1024;
const MAX_TOKENS = 1000;

/** Whether the request carries GitLab's shared secret (`authorization: <secret>`, or as a Bearer token). */
export function gitlabAuthorized(req: LeakRequest, secret: string): boolean {
  const header = req.headers.authorization;
  if (typeof header !== "string") return false;
  const given = header.startsWith("Bearer ") ? header.slice(7) : header;
  // Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first differing byte.
  return timingSafeEqual(hash("sha256", given, "buffer"), hash("sha256", secret, "buffer"));
}

/** `GET /leaks/gitlab/v1/revocable_token_types`: the one type of token Keyward revokes. */
export function revocableTokenTypes(res: LeakResponse): void {
  sendJson(res, 200, { types: [GITLAB_TOKEN_TYPE] });
}

/**
 * `POST /leaks/gitlab/v1/revoke_tokens`: `[{type, token, location}]`. 204 once acted on, whatever the tokens
 * were (GitLab needs no feedback); 400 for a body that is not that shape, 422 for a type not offered above.
 */
export async function revokeTokens(deps: LeakDeps, req: LeakRequest, res: LeakResponse): Promise<void> {
  const body = await readBody(req, MAX_BODY);
  if (!body) return sendError(res, 413, "too_large", `at most ${MAX_BODY} bytes`);
  const doc = parseJson(body);
  const entries = Array.isArray(doc) && doc.length <= MAX_TOKENS ? gitlabEntries(doc) : undefined;
  if (!entries) {
    return sendError(
      res,
      400,
      "bad_request",
      `a JSON array of at most ${MAX_TOKENS} {type, token, location}`,
    );
  }
  if (entries.some((e) => e.type !== GITLAB_TOKEN_TYPE)) {
    return sendError(res, 422, "unsupported_type", `the only revocable type is ${GITLAB_TOKEN_TYPE}`);
  }
  if (entries.length > 0) await reportLeaks(deps, "gitlab", entries, null);
  sendEmpty(res, 204);
}

function gitlabEntries(doc: unknown[]): (ReportedToken & { type: string })[] | undefined {
  const entries: (ReportedToken & { type: string })[] = [];
  for (const item of doc) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return undefined;
    const { type, token, location } = item as Record<string, unknown>;
    const url = optionalText(location, 4096);
    if (typeof type !== "string" || type.length > 256 || url === undefined) return undefined;
    if (typeof token !== "string" || token.length === 0 || token.length > 1024) return undefined;
    entries.push({ type, token, url: url || null, source: null });
  }
  return entries;
}
