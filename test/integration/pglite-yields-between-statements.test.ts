import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/store/database.js";

/**
 * Embedded PGlite runs in the server's own thread: a transaction of many statements must let I/O (a waiting
 * Check) in between them, not hold the event loop until it commits.
 */
describe("embedded PGlite between statements", () => {
  let database: Database;
  beforeAll(async () => {
    database = await Database.open({ kind: "pglite", dataDir: null });
  });
  afterAll(async () => {
    await database?.close();
  });

  it("runs callbacks that were waiting for I/O before the next statement of a transaction", async () => {
    const order: string[] = [];
    const transaction = database.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 4; i++) {
        await sql`select ${i}::int as n`.execute(trx);
        order.push(`statement ${i}`);
        // Queued as I/O completions are: behind the statement just finished, ahead of the next one.
        if (i === 1) setImmediate(() => order.push("waiting callback"));
      }
    });
    await transaction;
    expect(order).toEqual(["statement 0", "statement 1", "waiting callback", "statement 2", "statement 3"]);
  });
});
