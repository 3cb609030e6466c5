import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";
import type { RateLimitSpec } from "../../keys/key-record.js";

type Timestamp = ColumnType<Date, Date, Date>;

/** The `keys` table: one row per API key; the key itself is never stored, only its HMAC. */
export interface KeysTable {
  id: string;
  company_id: string;
  name: string;
  environment: string;
  status: string;
  scopes: string[];
  ip_allowlist: string[];
  metadata: ColumnType<Record<string, string>, string, string>;
  tags: string[];
  key_hash: Uint8Array;
  pepper_id: string;
  hint: string;
  rate_limit: ColumnType<RateLimitSpec | null, string | null, string | null>;
  expire_time: Date | null;
  create_time: Timestamp;
  update_time: Timestamp;
  last_used_time: Date | null;
  revoke_time: Date | null;
  revoke_reason: string | null;
  suspend_reason: string | null;
  rotated_from_key_id: string | null;
  rotated_to_key_id: string | null;
  /** "standard", "integration" or "user". */
  kind: Generated<string>;
  /** Integration keys: the companies the key may act for. */
  company_ids: Generated<string[]>;
  /** User tokens: the user the token belongs to. */
  user_id: string | null;
  /** The first leak report: when, who reported it ("github", "gitlab", "self"), where it was found. */
  leak_time: Date | null;
  leak_reporter: string | null;
  leak_url: string | null;
  leak_source: string | null;
  /** Bumped on every change, so concurrent admins can detect lost updates. */
  revision: Generated<number>;
}

export type KeyRow = Selectable<KeysTable>;
export type NewKeyRow = Insertable<KeysTable>;
export type KeyRowUpdate = Updateable<KeysTable>;
