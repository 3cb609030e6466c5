import { resolve } from "node:path";
import type { RateLimitSpec } from "../keys/key-record.js";
import { ConfigError } from "./config-error.js";
import { rate } from "./rate-settings.js";

/** What leak reports do, and who may send them (see docs/leaked-keys.md). */
export interface LeakConfig {
  /** `revoke` (default): a reported key is revoked; `notify`: only flagged, and stays valid (KEYWARD_LEAK_POLICY). */
  policy: "revoke" | "notify";
  /** GitHub's secret-scanning public keys, JSON as GitHub serves them (KEYWARD_GITHUB_SCANNING_KEYS_FILE); null: POST /leaks/github is off. */
  githubKeysFile: string | null;
  /** The shared secret GitLab sends in `authorization` (KEYWARD_GITLAB_REVOCATION_TOKEN); null: the GitLab API is off. */
  gitlabToken: string | null;
  /** POST /leaks/revoke calls one source address may make (KEYWARD_LEAK_REVOKE_LIMIT, default 10/1m). */
  selfRevokeLimit: RateLimitSpec;
}

/** `KEYWARD_LEAK_POLICY`, `KEYWARD_GITHUB_SCANNING_KEYS_FILE`, `KEYWARD_GITLAB_REVOCATION_TOKEN`, `KEYWARD_LEAK_REVOKE_LIMIT`. */
export function leakSetting(env: NodeJS.ProcessEnv): LeakConfig {
  const policy = env.KEYWARD_LEAK_POLICY?.trim() || "revoke";
  if (policy !== "revoke" && policy !== "notify") {
    throw new ConfigError('KEYWARD_LEAK_POLICY must be "revoke" or "notify"');
  }
  const keysFile = env.KEYWARD_GITHUB_SCANNING_KEYS_FILE?.trim();
  const gitlabToken = env.KEYWARD_GITLAB_REVOCATION_TOKEN;
  // Whoever holds it may report keys as leaked in GitLab's name: it must not be guessable.
  if (gitlabToken !== undefined && gitlabToken !== "" && !/^[\x21-\x7e]{24,512}$/.test(gitlabToken)) {
    throw new ConfigError(
      "KEYWARD_GITLAB_REVOCATION_TOKEN must be 24 to 512 printable characters without spaces (e.g. `openssl rand -hex 32`)",
    );
  }
  const limit = rate("KEYWARD_LEAK_REVOKE_LIMIT", env.KEYWARD_LEAK_REVOKE_LIMIT?.trim() || "10/1m");
  return {
    policy,
    githubKeysFile: keysFile ? resolve(keysFile) : null,
    gitlabToken: gitlabToken || null,
    selfRevokeLimit: { ...limit, burst: 0 },
  };
}
