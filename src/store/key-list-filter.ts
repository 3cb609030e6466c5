import { type SelectQueryBuilder, sql } from "kysely";
import type { Environment } from "../keys/format.js";
import type { KeyStatus } from "../keys/key-record.js";
import type { DatabaseSchema } from "./schema/index.js";

/** Filters for listing keys; undefined fields do not filter. */
export interface KeyListFilter {
  companyId?: string | undefined;
  status?: KeyStatus | undefined;
  environment?: Environment | undefined;
  tag?: string | undefined;
}

/** A position in a key list, newest first: the (create_time, id) of the last key of the previous page. */
export interface KeyListPosition {
  createTime: Date;
  id: string;
}

type KeysQuery<O> = SelectQueryBuilder<DatabaseSchema, "keys", O>;

/** Applies `filter`, and the page position `after`, to a query over `keys`. */
export function filterKeys<O>(
  q: KeysQuery<O>,
  filter: KeyListFilter,
  after: KeyListPosition | undefined,
): KeysQuery<O> {
  let out = q;
  const company = filter.companyId;
  if (company !== undefined) {
    // Every key that may act for the company: its own, integration keys listing it, its members' tokens.
    out = out.where((eb) =>
      eb.or([
        eb("company_id", "=", company),
        eb("company_ids", "@>", sql<string[]>`array[${company}]::text[]`),
        eb.and([
          eb("kind", "=", "user"),
          eb(
            "user_id",
            "in",
            eb
              .selectFrom("memberships")
              .select("memberships.user_id")
              .where("memberships.company_id", "=", company),
          ),
        ]),
      ]),
    );
  }
  if (filter.status) out = out.where("status", "=", filter.status);
  if (filter.environment) out = out.where("environment", "=", filter.environment);
  if (filter.tag) out = out.where("tags", "@>", sql<string[]>`array[${filter.tag}]::text[]`);
  if (after) {
    out = out.where((eb) =>
      eb.or([
        eb("create_time", "<", after.createTime),
        eb.and([eb("create_time", "=", after.createTime), eb("id", "<", after.id)]),
      ]),
    );
  }
  return out;
}
