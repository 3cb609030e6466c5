import { hash } from "node:crypto";
import type { ScanningKeys } from "./github-keys.js";
import { signatureValid } from "./github-keys.js";
import {
  type LeakRequest,
  type LeakResponse,
  optionalText,
  parseJson,
  readBody,
  sendError,
  sendJson,
} from "./http-io.js";
import { type LeakDeps, type ReportedToken, reportLeaks } from "./report-leaks.js";

/** Largest alert accepted, and most tokens in one: far above the batches GitHub sends. */
const MAX_BODY = 4 * 1024 * 1024;
const MAX_TOKENS = 5000;

/** One entry of GitHub's alert, checked. */
interface AlertEntry extends ReportedToken {
  type: string;
}

/**
 * `POST /leaks/github`: GitHub secret scanning's partner alert. Nothing is looked at before the signature
 * over the raw body checks out against the key GitHub names; then each token is acted on (reportLeaks) and
 * GitHub gets its feedback: per token, the SHA-256 of the token, its type, and whether it is a key issued here.
 */
export async function githubAlert(
  deps: LeakDeps,
  keys: ScanningKeys,
  req: LeakRequest,
  res: LeakResponse,
): Promise<void> {
  const body = await readBody(req, MAX_BODY);
  if (!body) return sendError(res, 413, "too_large", `at most ${MAX_BODY} bytes`);
  const identifier = req.headers["github-public-key-identifier"];
  const signature = req.headers["github-public-key-signature"];
  const key = typeof identifier === "string" ? await keys.key(identifier) : undefined;
  if (!key || typeof signature !== "string" || !signatureValid(key, body, signature)) {
    return sendError(res, 401, "bad_signature", "missing, unknown or bad GitHub signature");
  }
  const entries = alertEntries(parseJson(body));
  if (!entries) {
    return sendError(
      res,
      400,
      "bad_request",
      `a JSON array of 1 to ${MAX_TOKENS} {token, type, url, source}`,
    );
  }
  const ours = await reportLeaks(deps, "github", entries, null);
  sendJson(
    res,
    200,
    entries.map((e, i) => ({
      token_hash: hash("sha256", e.token, "hex"),
      token_type: e.type,
      label: ours[i] ? "true_positive" : "false_positive",
    })),
  );
}

/** The alert's entries, or undefined when it is not GitHub's shape (fields GitHub may add are ignored). */
function alertEntries(doc: unknown): AlertEntry[] | undefined {
  if (!Array.isArray(doc) || doc.length === 0 || doc.length > MAX_TOKENS) return undefined;
  const entries: AlertEntry[] = [];
  for (const item of doc) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return undefined;
    const { token, type, url, source } = item as Record<string, unknown>;
    const fields = [optionalText(type, 256), optionalText(url, 4096), optionalText(source, 64)];
    if (typeof token !== "string" || token.length === 0 || token.length > 1024) return undefined;
    const [t, u, s] = fields;
    if (t === undefined || u === undefined || s === undefined) return undefined;
    entries.push({ token, type: t, url: u || null, source: s || null });
  }
  return entries;
}
