import { Writable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { Database } from "../../src/store/database.js";

/**
 * A failed query's error object carries the query text and its parameters (for a key lookup: an HMAC of the
 * key). Logged as `err`, at any depth of `cause`, none of that reaches the log; the code and message do.
 */

let database: Database;
beforeAll(async () => {
  database = await Database.open({ kind: "pglite", dataDir: null });
});
afterAll(async () => {
  await database.close();
});

function logged(fields: object): string {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  createLogger("info", sink).error(fields, "query failed");
  return lines.join("");
}

/** A real database error whose parameter is `marker`. */
async function databaseError(marker: string): Promise<Error> {
  try {
    // Fails with "division by zero": the message names neither the query nor the parameter.
    await sql`select 1 / 0 as never_in_message where ${marker}::text is not null`.execute(database.db);
  } catch (err) {
    return err as Error;
  }
  throw new Error("the query was expected to fail");
}

describe("database errors in logs", () => {
  it("keep their code and message, never their query or parameters", async () => {
    const err = await databaseError("hmac-5f3a9c-marker");
    expect(JSON.stringify(err)).toContain("hmac-5f3a9c-marker");
    const line = logged({ err });
    expect(line).toContain("22012");
    expect(line).toContain("division by zero");
    expect(line).not.toContain("hmac-5f3a9c-marker");
    expect(line).not.toContain("never_in_message");
  });

  it("strip the cause of a wrapping error too", async () => {
    const cause = await databaseError("hmac-77e0d1-marker");
    const line = logged({ err: new Error("lookup failed", { cause }) });
    expect(line).toContain("lookup failed");
    expect(line).not.toContain("hmac-77e0d1-marker");
  });
});
