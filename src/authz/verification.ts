import type { RateLimitSpec } from "../keys/key-record.js";
import type { LimitResult } from "../ratelimit/gcra.js";
import type { VerifiedKey } from "./verified-key.js";

/** What a presented credential turned out to be. */
export type Verification =
  | { kind: "malformed" }
  | { kind: "unknown" }
  | { kind: "key"; key: VerifiedKey }
  /** Not looked up: its source has caused too many lookups of unknown keys (see UnknownKeyGuard). */
  | { kind: "throttled"; spec: RateLimitSpec; limit: LimitResult };
