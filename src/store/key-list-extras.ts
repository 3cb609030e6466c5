import { type ExpressionBuilder, type SelectQueryBuilder, sql } from "kysely";
import type { DatabaseSchema } from "./schema/index.js";

const DAY_MS = 86_400_000;

/** Hygiene findings a key list can be narrowed to; each concerns active keys only. */
export const HYGIENE = ["never_expires", "unused_90d", "no_ip_allowlist", "expiring_7d"] as const;
export type Hygiene = (typeof HYGIENE)[number];

/** The console's extra narrowing of a key list: free text and a hygiene finding, judged at `now`. */
export interface KeyListExtras {
  query?: string | undefined;
  hygiene?: Hygiene | undefined;
  now: Date;
}

type KeysQuery<O> = SelectQueryBuilder<DatabaseSchema, "keys", O>;

/** Counts, in one query, the active keys of `q` having each hygiene finding at `now`. */
export async function countHygiene<O>(q: KeysQuery<O>, now: Date): Promise<Record<Hygiene, number>> {
  const row = await q
    .where("status", "=", "active")
    .select((eb) =>
      HYGIENE.map((h) => eb.fn.countAll<string>().filterWhere(hygieneCondition(h, now)(eb)).as(h)),
    )
    .executeTakeFirst();
  const counts = {} as Record<Hygiene, number>;
  for (const h of HYGIENE) counts[h] = Number((row as Record<string, unknown> | undefined)?.[h] ?? 0);
  return counts;
}

/** Applies free-text and hygiene filters to a query over `keys`. */
export function narrowKeys<O>(q: KeysQuery<O>, extras: KeyListExtras): KeysQuery<O> {
  let out = q;
  if (extras.query) {
    const pattern = `%${extras.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    out = out.where((eb) =>
      eb.or([
        eb("name", "ilike", pattern),
        eb("hint", "ilike", pattern),
        eb("id", "=", extras.query as string),
      ]),
    );
  }
  if (extras.hygiene)
    out = out.where("status", "=", "active").where(hygieneCondition(extras.hygiene, extras.now));
  return out;
}

function hygieneCondition(h: Hygiene, now: Date) {
  return (eb: ExpressionBuilder<DatabaseSchema, "keys">) => {
    switch (h) {
      case "never_expires":
        return eb("expire_time", "is", null);
      case "no_ip_allowlist":
        return eb(sql`cardinality(ip_allowlist)`, "=", 0);
      case "expiring_7d":
        return eb.and([
          eb("expire_time", ">", now),
          eb("expire_time", "<=", new Date(now.getTime() + 7 * DAY_MS)),
        ]);
      case "unused_90d": {
        const cutoff = new Date(now.getTime() - 90 * DAY_MS);
        return eb.or([
          eb("last_used_time", "<", cutoff),
          eb.and([eb("last_used_time", "is", null), eb("create_time", "<", cutoff)]),
        ]);
      }
    }
  };
}

/** Selects each key's allowed and denied requests since `since`, in the same query as the keys. */
export function withRecentUsage<O>(q: KeysQuery<O>, since: Date) {
  return q.select((eb) => [
    eb
      .selectFrom("key_usage")
      .select(sql<string>`coalesce(sum(request_count), 0)`.as("n"))
      .whereRef("key_usage.key_id", "=", "keys.id")
      .where("key_usage.minute", ">=", since)
      .as("requests_recent"),
    eb
      .selectFrom("key_usage")
      .select(sql<string>`coalesce(sum(denied_count), 0)`.as("n"))
      .whereRef("key_usage.key_id", "=", "keys.id")
      .where("key_usage.minute", ">=", since)
      .as("denied_recent"),
  ]);
}
