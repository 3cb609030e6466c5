import type { Executor } from "./executor.js";

/** A stored console session. */
export interface SessionRecord {
  keyId: string;
  createTime: Date;
  lastSeenTime: Date;
  expireTime: Date;
}

/** Reads and writes the `console_sessions` table; callers hash session ids before they get here. */
export class SessionRepository {
  constructor(private readonly db: Executor) {}

  async insert(idHash: Uint8Array, session: SessionRecord): Promise<void> {
    await this.db
      .insertInto("console_sessions")
      .values({
        id_hash: idHash,
        key_id: session.keyId,
        create_time: session.createTime,
        last_seen_time: session.lastSeenTime,
        expire_time: session.expireTime,
      })
      .execute();
  }

  async find(idHash: Uint8Array): Promise<SessionRecord | undefined> {
    const row = await this.db
      .selectFrom("console_sessions")
      .selectAll()
      .where("id_hash", "=", idHash)
      .executeTakeFirst();
    return row
      ? {
          keyId: row.key_id,
          createTime: row.create_time,
          lastSeenTime: row.last_seen_time,
          expireTime: row.expire_time,
        }
      : undefined;
  }

  /** Marks the session as used at `time`. */
  async touch(idHash: Uint8Array, time: Date): Promise<void> {
    await this.db
      .updateTable("console_sessions")
      .set({ last_seen_time: time })
      .where("id_hash", "=", idHash)
      .execute();
  }

  async delete(idHash: Uint8Array): Promise<void> {
    await this.db.deleteFrom("console_sessions").where("id_hash", "=", idHash).execute();
  }

  /** Removes sessions that ended before `now`. */
  async deleteExpired(now: Date): Promise<void> {
    await this.db.deleteFrom("console_sessions").where("expire_time", "<", now).execute();
  }
}
