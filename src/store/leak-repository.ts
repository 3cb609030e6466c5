import type { KeyRecord } from "../keys/key-record.js";
import type { Executor } from "./executor.js";
import { toRecord } from "./key-repository.js";

/** The keys that leak reports name, found by their stored hashes only. */
export class LeakRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Every key stored under one of `hashes`, locked until the transaction ends: one indexed query for a whole
   * batch of reported tokens, however many peppers each was hashed under. Locked so that two reports of the
   * same key (GitHub retries, two replicas) apply one after the other and the second finds nothing to do.
   */
  async findByHashesForUpdate(hashes: readonly Uint8Array[]): Promise<KeyRecord[]> {
    if (hashes.length === 0) return [];
    const rows = await this.db
      .selectFrom("keys")
      .selectAll()
      .where("key_hash", "in", hashes as Uint8Array[])
      .orderBy("id")
      .forUpdate()
      .execute();
    return rows.map(toRecord);
  }
}
