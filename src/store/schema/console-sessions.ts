import type { ColumnType } from "kysely";

type Timestamp = ColumnType<Date, Date, Date>;

/** `console_sessions`: signed-in web console sessions, by the SHA-256 of their id. */
export interface ConsoleSessionsTable {
  id_hash: Uint8Array;
  key_id: string;
  create_time: Timestamp;
  last_seen_time: Timestamp;
  expire_time: Timestamp;
}
