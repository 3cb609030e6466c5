import type { Updateable } from "kysely";
import type { Executor } from "./executor.js";
import type { WebhookRow, WebhooksTable } from "./schema/webhooks.js";

/** Reads and writes the `webhooks` table. */
export class WebhookRepository {
  constructor(private readonly db: Executor) {}

  async insert(row: WebhookRow): Promise<WebhookRow> {
    return this.db.insertInto("webhooks").values(row).returningAll().executeTakeFirstOrThrow();
  }

  async findById(id: string): Promise<WebhookRow | undefined> {
    return this.db.selectFrom("webhooks").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** The endpoint, locked until the surrounding transaction ends. */
  async findByIdForUpdate(id: string): Promise<WebhookRow | undefined> {
    return this.db.selectFrom("webhooks").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
  }

  /** One page of endpoints by id, of one company (undefined: every one, platform-wide included). */
  async list(
    companyId: string | undefined,
    afterId: string | undefined,
    limit: number,
  ): Promise<WebhookRow[]> {
    let q = this.db.selectFrom("webhooks").selectAll();
    if (companyId !== undefined) q = q.where("company_id", "=", companyId);
    if (afterId) q = q.where("id", ">", afterId);
    return q.orderBy("id").limit(limit).execute();
  }

  async update(id: string, patch: Updateable<WebhooksTable>): Promise<WebhookRow> {
    return this.db
      .updateTable("webhooks")
      .set(patch)
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Removes the endpoint and, with it, its deliveries. */
  async delete(id: string): Promise<void> {
    await this.db.deleteFrom("webhooks").where("id", "=", id).execute();
  }
}
