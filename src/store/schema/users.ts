import type { ColumnType } from "kysely";

type Timestamp = ColumnType<Date, Date, Date>;

/** `users`: people who hold user tokens; they belong to companies through memberships. */
export interface UsersTable {
  id: string;
  name: string;
  default_company_id: string;
  create_time: Timestamp;
  update_time: Timestamp;
}

/** `memberships`: which companies a user currently belongs to. */
export interface MembershipsTable {
  user_id: string;
  company_id: string;
  create_time: Timestamp;
  /** What the user's tokens may do when acting for the company; `*` in the default company. */
  scopes: ColumnType<string[], string[] | undefined, string[]>;
}
