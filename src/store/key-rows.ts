import type { Selectable } from "kysely";
import type { Environment } from "../keys/format.js";
import type {
  KeyKind,
  KeyPatch,
  KeyRecord,
  KeyStatus,
  LeakReport,
  LeakReporter,
} from "../keys/key-record.js";
import type { KeySpec, MintedSecret } from "../keys/mint.js";
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

/** The row a new key is inserted as. */
export function newKeyRow({ id, spec, minted, now, rotatedFromKeyId }: NewKey): NewKeyRow {
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
export function rowUpdate(p: KeyPatch): KeyRowUpdate {
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
