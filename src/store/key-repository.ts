import { type Selectable, sql } from "kysely";
import type { Environment } from "../keys/format.js";
import type {
  KeyKind,
  KeyPatch,
  KeyRecord,
  KeyStatus,
  LeakReport,
  LeakReporter,
  MemberGrant,
} from "../keys/key-record.js";
import type { KeySpec, MintedSecret } from "../keys/mint.js";
import type { Executor } from "./executor.js";
import {
  countHygiene,
  type Hygiene,
  type KeyListExtras,
  narrowKeys,
  withRecentUsage,
} from "./key-list-extras.js";
import { filterKeys, type KeyListFilter, type KeyListPosition } from "./key-list-filter.js";
import type { KeyRowUpdate, KeysTable, NewKeyRow } from "./schema/keys.js";

/** A key to store: its settings, its minted secret's stored form, and where it came from. */
export interface NewKey {
  id: string;
  spec: KeySpec;
  minted: Omit<MintedSecret, "secret">;
  now: Date;
  /** Set when the key replaces another by rotation. */
  rotatedFromKeyId?: string | null;
}

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

function newKeyRow({ id, spec, minted, now, rotatedFromKeyId }: NewKey): NewKeyRow {
  return {
    id,
    company_id: spec.companyId,
    name: spec.name,
    environment: spec.environment,
    status: "active",
    scopes: spec.scopes,
    ip_allowlist: spec.ipAllowlist,
    metadata: JSON.stringify(spec.metadata),
    tags: spec.tags,
    key_hash: minted.hash,
    pepper_id: minted.pepperId,
    hint: minted.hint,
    rate_limit: spec.rateLimit ? JSON.stringify(spec.rateLimit) : null,
    expire_time: spec.expireTime,
    create_time: now,
    update_time: now,
    kind: spec.kind ?? "standard",
    company_ids: spec.companyIds ?? [],
    user_id: spec.userId ?? null,
    rotated_from_key_id: rotatedFromKeyId ?? null,
  };
}

/** The columns a patch sets: only the fields it names. */
function rowUpdate(p: KeyPatch): KeyRowUpdate {
  const row: KeyRowUpdate = {};
  if (p.name !== undefined) row.name = p.name;
  if (p.scopes !== undefined) row.scopes = p.scopes;
  if (p.metadata !== undefined) row.metadata = JSON.stringify(p.metadata);
  if (p.tags !== undefined) row.tags = p.tags;
  if (p.ipAllowlist !== undefined) row.ip_allowlist = p.ipAllowlist;
  if (p.expireTime !== undefined) row.expire_time = p.expireTime;
  if (p.rateLimit !== undefined) row.rate_limit = p.rateLimit ? JSON.stringify(p.rateLimit) : null;
  if (p.companyIds !== undefined) row.company_ids = p.companyIds;
  if (p.status !== undefined) row.status = p.status;
  if (p.suspendReason !== undefined) row.suspend_reason = p.suspendReason;
  if (p.revokeTime !== undefined) row.revoke_time = p.revokeTime;
  if (p.revokeReason !== undefined) row.revoke_reason = p.revokeReason;
  if (p.rotatedToKeyId !== undefined) row.rotated_to_key_id = p.rotatedToKeyId;
  if (p.leak !== undefined) {
    row.leak_time = p.leak?.time ?? null;
    row.leak_reporter = p.leak?.reporter ?? null;
    row.leak_url = p.leak?.url ?? null;
    row.leak_source = p.leak?.source ?? null;
  }
  return row;
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
    leak: leakOf(row),
    revision: Number(row.revision),
  };
}

function leakOf(row: Selectable<KeysTable>): LeakReport | null {
  if (!row.leak_time) return null;
  return {
    time: row.leak_time,
    reporter: row.leak_reporter as LeakReporter,
    url: row.leak_url,
    source: row.leak_source,
  };
}
