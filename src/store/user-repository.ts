import type { Insertable, Selectable } from "kysely";
import { sql } from "kysely";
import type { Executor } from "./database.js";
import type { MembershipsTable, UsersTable } from "./schema/users.js";

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type MembershipRow = Selectable<MembershipsTable>;

/** Reads and writes users and their memberships. */
export class UserRepository {
  constructor(private readonly db: Executor) {}

  with(executor: Executor): UserRepository {
    return new UserRepository(executor);
  }

  /** Adds a user; false when the id is taken. */
  async insert(row: NewUserRow): Promise<boolean> {
    const result = await this.db
      .insertInto("users")
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async find(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Adds a membership; undefined when it already existed. */
  async addMembership(userId: string, companyId: string, now: Date): Promise<MembershipRow | undefined> {
    return this.db
      .insertInto("memberships")
      .values({ user_id: userId, company_id: companyId, create_time: now })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  /** Removes a membership; false when there was none. */
  async removeMembership(userId: string, companyId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("memberships")
      .where("user_id", "=", userId)
      .where("company_id", "=", companyId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async isMember(userId: string, companyId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("memberships")
      .select(sql<number>`1`.as("one"))
      .where("user_id", "=", userId)
      .where("company_id", "=", companyId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Memberships of a user, or of a company (at most 10,000, oldest first). */
  async memberships(filter: {
    userId?: string | undefined;
    companyId?: string | undefined;
  }): Promise<MembershipRow[]> {
    let q = this.db.selectFrom("memberships").selectAll();
    if (filter.userId) q = q.where("user_id", "=", filter.userId);
    if (filter.companyId) q = q.where("company_id", "=", filter.companyId);
    return q.orderBy("create_time").orderBy("user_id").orderBy("company_id").limit(10_000).execute();
  }
}
