import type { Selectable } from "kysely";
import { sql } from "kysely";
import type { Executor } from "./executor.js";
import type { MembershipsTable, UsersTable } from "./schema/users.js";

/** A person who holds user tokens. */
export interface UserRecord {
  id: string;
  name: string;
  defaultCompanyId: string;
  createTime: Date;
  updateTime: Date;
}

/** A user's membership of a company, with the user's default company (whoever reads it sees whose user it is). */
export interface MembershipRecord {
  userId: string;
  companyId: string;
  createTime: Date;
  /** What the user's tokens may do when acting for the company; `*` in the default company. */
  scopes: string[];
  defaultCompanyId: string;
}

/** Reads and writes users and their memberships. */
export class UserRepository {
  constructor(private readonly db: Executor) {}

  /** Adds a user; false when the id is taken. */
  async insert(user: UserRecord): Promise<boolean> {
    const result = await this.db
      .insertInto("users")
      .values({
        id: user.id,
        name: user.name,
        default_company_id: user.defaultCompanyId,
        create_time: user.createTime,
        update_time: user.updateTime,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async find(id: string): Promise<UserRecord | undefined> {
    const row = await this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  /** Adds a membership granting `scopes`; undefined when it already existed. */
  async addMembership(
    user: UserRecord,
    companyId: string,
    scopes: readonly string[],
    now: Date,
  ): Promise<MembershipRecord | undefined> {
    const row = await this.db
      .insertInto("memberships")
      .values({ user_id: user.id, company_id: companyId, scopes: [...scopes], create_time: now })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? toMembership({ ...row, default_company_id: user.defaultCompanyId }) : undefined;
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
  }): Promise<MembershipRecord[]> {
    let q = this.db
      .selectFrom("memberships")
      .innerJoin("users", "users.id", "memberships.user_id")
      .selectAll("memberships")
      .select("users.default_company_id");
    if (filter.userId) q = q.where("memberships.user_id", "=", filter.userId);
    if (filter.companyId) q = q.where("memberships.company_id", "=", filter.companyId);
    const rows = await q
      .orderBy("memberships.create_time")
      .orderBy("memberships.user_id")
      .orderBy("memberships.company_id")
      .limit(10_000)
      .execute();
    return rows.map(toMembership);
  }
}

function toUser(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    name: row.name,
    defaultCompanyId: row.default_company_id,
    createTime: row.create_time,
    updateTime: row.update_time,
  };
}

function toMembership(row: Selectable<MembershipsTable> & { default_company_id: string }): MembershipRecord {
  return {
    userId: row.user_id,
    companyId: row.company_id,
    createTime: row.create_time,
    scopes: row.scopes,
    defaultCompanyId: row.default_company_id,
  };
}
