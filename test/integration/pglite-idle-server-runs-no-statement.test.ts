import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

/**
 * A server with nothing to do runs no statement: no poll of an empty webhook queue, no flush of no traffic.
 * Embedded PGlite has its own thread, but the machine's cores are shared with the proxy beside it.
 */
describe("an idle server on embedded PGlite", () => {
  let t: TestApp;
  const statements: string[] = [];
  beforeAll(async () => {
    t = await startTestApp({ env: { KEYWARD_DATABASE_URL: "memory://" } });
    const embedded = t.app.ctx.database.embedded;
    if (!embedded) throw new Error("the app is not on embedded PGlite");
    const query = embedded.query.bind(embedded);
    embedded.query = ((text: string, ...rest: never[]) => {
      statements.push(text);
      return query(text, ...rest);
    }) as typeof embedded.query;
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
