import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * Embedded PGlite runs in the server's thread, so every statement holds up the Checks waiting behind it. A
 * server with nothing to do must not run any: no poll of an empty webhook queue, no flush of no traffic.
 */
describe("an idle server on embedded PGlite", () => {
  let t: TestApp;
  const statements: string[] = [];
  beforeAll(async () => {
    t = await startTestApp({ env: { KEYWARD_DATABASE_URL: "memory://" } });
    const pglite = t.app.ctx.database.pglite;
    if (!pglite) throw new Error("the app is not on embedded PGlite");
    const query = pglite.query.bind(pglite);
    pglite.query = ((text: string, ...rest: never[]) => {
      statements.push(text);
      return query(text, ...rest);
    }) as typeof pglite.query;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("runs no statement for longer than the webhook queue's poll interval", async () => {
    // The start's own scans and first look at the queue may still be finishing: count from a quiet moment.
    await new Promise((resolve) => setTimeout(resolve, 500));
    statements.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    expect(statements).toEqual([]);
  });
});
