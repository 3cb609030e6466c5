import { type Selectable, sql } from "kysely";
import type { Environment } from "../keys/format.js";
import type { KeyKind, KeyRecord, KeyStatus } from "../keys/key-record.js";
import type { Executor } from "./database.js";
import type { KeyRowUpdate, KeysTable, NewKeyRow } from "./schema/keys.js";

/** Filters for listing keys; undefined fields do not filter. */
export interface KeyListFilter {
  companyId?: string | undefined;
  status?: KeyStatus | undefined;
  environment?: Environment | undefined;
  tag?: string | undefined;
}

/** Reads and writes the `keys` table. */
export class KeyRepository {
  constructor(private readonly db: Executor) {}

  /** The same repository, running on `executor` (typically an open transaction). */
  with(executor: Executor): KeyRepository {
    return new KeyRepository(executor);
  }

  async insert(row: NewKeyRow): Promise<KeyRecord> {
    const inserted = await this.db.insertInto("keys").values(row).returningAll().executeTakeFirstOrThrow();
    return toRecord(inserted);
  }

  /**
   * The key stored under any of `hashes`, with the companies its user belongs to when it is a user token:
   * one indexed query (one round trip) whatever the number of peppers or the kind of key.
   */
  async findByHash(
    hashes: readonly Uint8Array[],
  ): Promise<(KeyRecord & { memberCompanies: string[] }) | undefined> {
    if (hashes.length === 0) return undefined;
    const row = await this.db
      .selectFrom("keys")
      .selectAll("keys")
      .select((eb) =>
        eb
          .selectFrom("memberships")
          .select(sql<string[]>`coalesce(array_agg(memberships.company_id), '{}')`.as("companies"))
          .whereRef("memberships.user_id", "=", "keys.user_id")
          .as("member_companies"),
      )
      .where("key_hash", "in", hashes as Uint8Array[])
      .executeTakeFirst();
    return row ? { ...toRecord(row), memberCompanies: row.member_companies ?? [] } : undefined;
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

  /** Applies `patch`, bumps the revision and update time, and returns the new state. */
  async update(id: string, patch: KeyRowUpdate, now: Date): Promise<KeyRecord> {
    const row = await this.db
      .updateTable("keys")
      .set({ ...patch, update_time: now, revision: sql`revision + 1` })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(row);
  }

  /** One page of keys, newest first, after the (create_time, id) position `after`. */
  async list(filter: KeyListFilter, after: { createTime: Date; id: string } | undefined, limit: number) {
    let q = this.db.selectFrom("keys").selectAll();
    const company = filter.companyId;
    if (company !== undefined) {
      // Every key that may act for the company: its own, integration keys listing it, its members' tokens.
      q = q.where((eb) =>
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
    if (filter.status) q = q.where("status", "=", filter.status);
    if (filter.environment) q = q.where("environment", "=", filter.environment);
    if (filter.tag) q = q.where("tags", "@>", sql<string[]>`array[${filter.tag}]::text[]`);
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb("create_time", "<", after.createTime),
          eb.and([eb("create_time", "=", after.createTime), eb("id", "<", after.id)]),
        ]),
      );
    }
    const rows = await q.orderBy("create_time", "desc").orderBy("id", "desc").limit(limit).execute();
    return rows.map(toRecord);
  }

  /** Records when keys were last used; never moves a time backwards. */
  async touch(lastUsed: ReadonlyMap<string, Date>): Promise<void> {
    for (const [id, time] of lastUsed) {
      await this.db
        .updateTable("keys")
        .set({ last_used_time: time })
        .where("id", "=", id)
        .where((eb) => eb.or([eb("last_used_time", "is", null), eb("last_used_time", "<", time)]))
        .execute();
    }
  }
}

/** Maps a row to the domain record. */
export function toRecord(row: Selectable<KeysTable>): KeyRecord {
  return {
    id: row.id,
    companyId: row.company_id,
    kind: row.kind as KeyKind,
    companyIds: row.company_ids,
    userId: row.user_id,
    name: row.name,
    environment: row.environment as Environment,
    status: row.status as KeyStatus,
    scopes: row.scopes,
    ipAllowlist: row.ip_allowlist,
    metadata: row.metadata ?? {},
    tags: row.tags,
    hint: row.hint,
    keyHash: row.key_hash,
    pepperId: row.pepper_id,
    rateLimit: row.rate_limit,
    expireTime: row.expire_time,
    createTime: row.create_time,
    updateTime: row.update_time,
    lastUsedTime: row.last_used_time,
    revokeTime: row.revoke_time,
    revokeReason: row.revoke_reason,
    suspendReason: row.suspend_reason,
    rotatedFromKeyId: row.rotated_from_key_id,
    rotatedToKeyId: row.rotated_to_key_id,
    revision: Number(row.revision),
  };
}
