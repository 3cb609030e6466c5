import type { RateLimitSpec } from "../keys/key-record.js";
import { LocalLimiter } from "../ratelimit/local-limiter.js";
import { type LeakRequest, type LeakResponse, parseJson, readBody, sendEmpty, sendError } from "./http-io.js";
import { type LeakDeps, reportLeaks } from "./report-leaks.js";

/** Most keys one call may name. */
export const MAX_CREDENTIALS = 100;
const MAX_BODY = 64 * 1024;

/** A caller's address: as stored (`text`) and as budgets count it (`key`, an IPv6 /64). */
export interface Caller {
  text: string;
  key: string;
}

/**
 * `POST /leaks/revoke` (`{"credentials": ["sk_live_…", …]}`): whoever holds a key may kill it, as with GitHub's
 * credential revocation API. The answer is 202 whatever the keys were, so it tells nothing about them; only
 * a malformed body (400), too many keys (400) or a spent budget (429) answers otherwise. Budgets are per source
 * address and per replica.
 */
export class SelfRevoke {
  private readonly limiter: LocalLimiter;

  constructor(
    private readonly deps: LeakDeps,
    private readonly limit: RateLimitSpec,
  ) {
    this.limiter = new LocalLimiter(deps.now, 100_000);
  }

  async handle(req: LeakRequest, res: LeakResponse, caller: Caller | null): Promise<void> {
    const spent = this.limiter.take(caller?.key ?? "unknown", this.limit);
    if (!spent.allowed) {
      res.setHeader("retry-after", String(Math.max(1, Math.ceil(spent.retryAfterMs / 1000))));
      return sendError(res, 429, "rate_limited", "too many revocation requests from this address");
    }
    const body = await readBody(req, MAX_BODY);
    const credentials = body ? credentialsOf(parseJson(body)) : undefined;
    if (!credentials) {
      return sendError(
        res,
        400,
        "bad_request",
        `a JSON object {"credentials": [...]} with 1 to ${MAX_CREDENTIALS} strings and nothing else`,
      );
    }
    const tokens = credentials.map((token) => ({ token, url: null, source: null }));
    await reportLeaks(this.deps, "self", tokens, caller?.text ?? null);
    sendEmpty(res, 202);
  }
}

function credentialsOf(doc: unknown): string[] | undefined {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return undefined;
  if (Object.keys(doc).some((k) => k !== "credentials")) return undefined;
  const list = (doc as { credentials?: unknown }).credentials;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CREDENTIALS) return undefined;
  const ok = list.every((c) => typeof c === "string" && c.length > 0 && c.length <= 1024);
  return ok ? (list as string[]) : undefined;
}
