import type { KeyRecord } from "../keys/key-record.js";
import { type KeySpec, mintSecret, newKeyId } from "../keys/mint.js";
import type { Tx } from "../store/transaction.js";
import { keyEvent } from "../webhooks/key-events.js";
import { auditView, sharingCompanies } from "./audit-view.js";
import type { AuditFields, WriteDeps } from "./write-deps.js";

/** A new key to make. */
export interface CreateKeyOptions {
  spec: KeySpec;
  audit: AuditFields;
}

/** A stored key and its secret, which exists nowhere else: the store keeps only its HMAC. */
export interface CreatedKey {
  key: KeyRecord;
  secret: string;
}

/** Stores a new key and its `key.create` audit event in one transaction. */
export function createKey(deps: WriteDeps, { spec, audit }: CreateKeyOptions): Promise<CreatedKey> {
  return deps.database.transaction(async (tx) => {
    const created = await insertKey(tx, deps, spec, new Date(deps.now()));
    await tx.audit.record({
      ...audit,
      action: "key.create",
      keyId: created.key.id,
      companyId: created.key.companyId,
      alsoCompanies: sharingCompanies(created.key),
      after: auditView(created.key),
    });
    await tx.events.publish(keyEvent("key.created", created.key), created.key.createTime);
    return created;
  });
}

/** Mints a secret for `spec` and stores the key in `tx`; the caller records the audit event. */
export async function insertKey(
  tx: Tx,
  deps: Pick<WriteDeps, "hasher" | "keyPrefix">,
  spec: KeySpec,
  now: Date,
  rotatedFromKeyId: string | null = null,
): Promise<CreatedKey> {
  const { secret, ...minted } = mintSecret(deps.hasher, deps.keyPrefix, spec.environment);
  const key = await tx.keys.insert({ id: newKeyId(), spec, minted, now, rotatedFromKeyId });
  return { key, secret };
}
