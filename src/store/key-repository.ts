import { sql } from "kysely";
import type { KeyPatch, KeyRecord, MemberGrant } from "../keys/key-record.js";
import type { Executor } from "./executor.js";
import {
  countHygiene,
  type Hygiene,
  type KeyListExtras,
  narrowKeys,
  withRecentUsage,
} from "./key-list-extras.js";
import { filterKeys, type KeyListFilter, type KeyListPosition } from "./key-list-filter.js";
import { type NewKey, newKeyRow, rowUpdate, toRecord } from "./key-rows.js";

export { type NewKey, toRecord } from "./key-rows.js";

const DAY_MS = 86_400_000;

/** A listed key with its recent traffic. */
export type KeyWithRecentUsage = KeyRecord & { requests24h: number; denied24h: number };

/**
 * Reads and writes the `keys` table. Bound to a transaction, it reports every key it changes (`changed`), so
 * the transaction can evict those keys from caches once it commits.
 */
export class KeyRepository {
  constructor(
    private readonly db: Executor,
    private readonly changed: (keyId: string) => void = () => {},
  ) {}

  async insert(key: NewKey): Promise<KeyRecord> {
    const inserted = await this.db
      .insertInto("keys")
      .values(newKeyRow(key))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(inserted);
  }

  /**
   * The key stored under any of `hashes`, with the companies its user belongs to when it is a user token:
   * one indexed query (one round trip) whatever the number of peppers or the kind of key.
   */
  async findByHash(
    hashes: readonly Uint8Array[],
  ): Promise<(KeyRecord & { memberships: MemberGrant[] }) | undefined> {
    if (hashes.length === 0) return undefined;
    const row = await this.db
      .selectFrom("keys")
      .selectAll("keys")
      .select((eb) =>
        eb
          .selectFrom("memberships")
          .select(
            sql<
              MemberGrant[]
            >`coalesce(json_agg(json_build_object('companyId', memberships.company_id, 'scopes', memberships.scopes)), '[]')`.as(
              "grants",
            ),
          )
          .whereRef("memberships.user_id", "=", "keys.user_id")
          .as("memberships"),
      )
      .where("key_hash", "in", hashes as Uint8Array[])
      .executeTakeFirst();
    return row ? { ...toRecord(row), memberships: row.memberships ?? [] } : undefined;
  }

  async findById(id: string): Promise<KeyRecord | undefined> {
    const row = await this.db.selectFrom("keys").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** The key, locked until the surrounding transaction ends, so concurrent changes apply one after another. */
  async findByIdForUpdate(id: string): Promise<KeyRecord | undefined> {
    const row = await this.db
      .selectFrom("keys")
      .selectAll()
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** The unrevoked keys `companyId` owns (every company's when null), locked until the transaction ends. */
  async findUnrevokedForUpdate(companyId: string | null): Promise<KeyRecord[]> {
    let query = this.db.selectFrom("keys").selectAll().where("status", "!=", "revoked");
    if (companyId !== null) query = query.where("company_id", "=", companyId);
    const rows = await query.orderBy("id").forUpdate().execute();
    return rows.map(toRecord);
  }

  /** Applies `patch`, bumps the revision and update time, and returns the new state. */
  async update(id: string, patch: KeyPatch, now: Date): Promise<KeyRecord> {
    const row = await this.db
      .updateTable("keys")
      .set({ ...rowUpdate(patch), update_time: now, revision: sql`revision + 1` })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    this.changed(id);
    return toRecord(row);
  }

  /** Marks every token of `userId` changed: what they may act for moved with the user's memberships. */
  async userTokensChanged(userId: string): Promise<void> {
    const rows = await this.db.selectFrom("keys").select("id").where("user_id", "=", userId).execute();
    for (const { id } of rows) this.changed(id);
  }

  /**
   * One page of keys, newest first, after the (create_time, id) position `after`, each with its requests
   * allowed and denied since `extras.now` minus 24 hours: one query, whatever the page size.
   */
  async list(
    filter: KeyListFilter,
    after: KeyListPosition | undefined,
    limit: number,
    extras: KeyListExtras = { now: new Date() },
  ): Promise<KeyWithRecentUsage[]> {
    const q = filterKeys(narrowKeys(this.db.selectFrom("keys").selectAll("keys"), extras), filter, after);
    const rows = await withRecentUsage(q, new Date(extras.now.getTime() - DAY_MS))
      .orderBy("create_time", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      ...toRecord(r),
      requests24h: Number(r.requests_recent ?? 0),
      denied24h: Number(r.denied_recent ?? 0),
    }));
  }

  /** How many keys matching `filter` and `extras` (its hygiene aside) have each hygiene finding. */
  hygieneCounts(filter: KeyListFilter, extras: KeyListExtras): Promise<Record<Hygiene, number>> {
    const q = filterKeys(
      narrowKeys(this.db.selectFrom("keys"), { ...extras, hygiene: undefined }),
      filter,
      undefined,
    );
    return countHygiene(q, extras.now);
  }
}
