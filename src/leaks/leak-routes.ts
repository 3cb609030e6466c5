import { peerAddress } from "../admin/dual-listener.js";
import { sourceAddress } from "../authz/source-address.js";
import { githubAlert } from "./github-alert.js";
import { ScanningKeys } from "./github-keys.js";
import { gitlabAuthorized, revocableTokenTypes, revokeTokens } from "./gitlab-revocation.js";
import { type LeakRequest, type LeakResponse, sendEmpty, sendError } from "./http-io.js";
import type { LeakDeps } from "./report-leaks.js";
import { SelfRevoke } from "./self-revoke.js";

/** Serves a request when it is for a leak endpoint, answering true; false leaves it to the next route. */
export type LeakRoutes = (req: LeakRequest, res: LeakResponse) => boolean;

/**
 * The leak endpoints on the admin listener: GitHub's partner alerts, GitLab's token revocation API, and
 * self-revocation. They carry no admin authority: each can only revoke or flag the keys whose tokens it is
 * given. GitHub's and GitLab's are off (404) until their setting is there.
 */
export function leakRoutes(deps: LeakDeps): LeakRoutes {
  const { githubKeysFile, gitlabToken, selfRevokeLimit } = deps.config.leaks;
  const scanningKeys = githubKeysFile ? new ScanningKeys(githubKeysFile, deps.logger) : null;
  const selfRevoke = new SelfRevoke(deps, selfRevokeLimit);
  const routes: Record<string, { method: string; serve: (req: LeakRequest, res: LeakResponse) => unknown }> =
    {
      "/leaks/revoke": {
        method: "POST",
        serve: (req, res) => {
          const peer = peerAddress(req);
          return selfRevoke.handle(req, res, peer ? (sourceAddress(peer) ?? null) : null);
        },
      },
    };
  if (scanningKeys) {
    routes["/leaks/github"] = {
      method: "POST",
      serve: (req, res) => githubAlert(deps, scanningKeys, req, res),
    };
  }
  if (gitlabToken) {
    const guarded =
      (serve: (req: LeakRequest, res: LeakResponse) => unknown) => (req: LeakRequest, res: LeakResponse) =>
        gitlabAuthorized(req, gitlabToken)
          ? serve(req, res)
          : sendError(res, 401, "unauthenticated", "bad token");
    routes["/leaks/gitlab/v1/revocable_token_types"] = {
      method: "GET",
      serve: guarded((_req, res) => revocableTokenTypes(res)),
    };
    routes["/leaks/gitlab/v1/revoke_tokens"] = {
      method: "POST",
      serve: guarded((req, res) => revokeTokens(deps, req, res)),
    };
  }
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (path !== "/leaks" && !path.startsWith("/leaks/")) return false;
    const route = routes[path];
    if (!route) {
      sendError(res, 404, "not_found", "no such endpoint");
    } else if (req.method !== route.method) {
      sendEmpty(res, 405, { allow: route.method });
    } else {
      Promise.resolve(route.serve(req, res)).catch((err: unknown) => {
        deps.logger.error({ err, path }, "leak report failed");
        if (!res.headersSent) sendError(res, 500, "internal", "the report could not be processed; retry");
      });
    }
    return true;
  };
}
