import type * as http2 from "node:http2";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  decodeCheckResponse,
  deniedBody,
  encodeCheckRequest,
  healthWatch,
  wellFormedKey,
} from "../helpers/envoy-client.js";
import { connectH2c, grpcFrame, grpcMessages, rawGrpcCall } from "../helpers/raw-grpc.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const CHECK = "/envoy.service.auth.v3.Authorization/Check";

/**
 * Holds an exclusive lock on the keys table in an open transaction, so every key lookup waits on the
 * database (on PGlite, the transaction holds its only connection). Resolves once the lock is held.
 */
async function holdKeysTable(t: TestApp): Promise<() => Promise<void>> {
  const database = t.app.ctx.database;
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked: () => void = () => {};
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const done = database.db.transaction().execute(async (tx) => {
    await sql`lock table ${sql.id(database.schema, "keys")} in access exclusive mode`.execute(tx);
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await done;
  };
}

/** A Check for a key no cache holds, so answering it needs the database. */
const unknownKeyCheck = () =>
  grpcFrame(encodeCheckRequest({ headers: { authorization: `Bearer ${wellFormedKey()}` } }));

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("authz listener: deadlines", () => {
  let t: TestApp;
  let session: http2.ClientHttp2Session;
  let release: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    t = await startTestApp();
    session = connectH2c(t.authzAddress);
  });
  afterEach(async () => {
    await release?.();
    release = undefined;
  });
  afterAll(async () => {
    session.destroy();
    await t.close();
  });

  it("answers DEADLINE_EXCEEDED when a Check waits on the database past its grpc-timeout", async () => {
    release = await holdKeysTable(t);
    const answer = await rawGrpcCall(session, CHECK, unknownKeyCheck(), {
      headers: { "grpc-timeout": "300m" },
    }).answer;
    // The database is still locked: this answer came on time, not after the lookup.
    expect(answer.status).toBe("4");
    expect(answer.body.length).toBe(0);
    await release();
    release = undefined;
    const after = await rawGrpcCall(session, CHECK, unknownKeyCheck(), { headers: { "grpc-timeout": "5S" } })
      .answer;
    expect(deniedBody(decodeCheckResponse(grpcMessages(after.body)[0] as Buffer)).error.code).toBe(
      "invalid_key",
    );
  });

  it("without a grpc-timeout, waits for the database and then answers", async () => {
    release = await holdKeysTable(t);
    let answered = false;
    const call = rawGrpcCall(session, CHECK, unknownKeyCheck()).answer.then((a) => {
      answered = true;
      return a;
    });
    await pause(300);
    expect(answered).toBe(false);
    await release();
    release = undefined;
    const answer = await call;
    expect(answer.status).toBe("0");
    expect(deniedBody(decodeCheckResponse(grpcMessages(answer.body)[0] as Buffer)).error.code).toBe(
      "invalid_key",
    );
  });
});

describe("authz listener: graceful shutdown", () => {
  let t: TestApp;
  let session: http2.ClientHttp2Session;
  let release: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    t = await startTestApp();
    session = connectH2c(t.authzAddress);
  });
  afterEach(async () => {
    await release?.();
    release = undefined;
    session.destroy();
    await t.close();
  });

  it("drains: GOAWAY, the call in flight is answered, new connections are refused, open watches end", async () => {
    const watch = healthWatch(t.authzAddress, "");
    await watch.heard(1);
    release = await holdKeysTable(t);
    const inflight = rawGrpcCall(session, CHECK, unknownKeyCheck()).answer;
    await pause(200);
    const goaway = new Promise<number>((resolve) => session.once("goaway", (code) => resolve(code)));
    const draining = t.app.authz.drain(10_000);
    expect(await goaway).toBe(0);
    expect(await watch.ended).toBe(14);
    const refused = await fetch(`http://${t.authzAddress}/`).then(
      () => "answered",
      () => "refused",
    );
    expect(refused).toBe("refused");
    await release();
    release = undefined;
    const answer = await inflight;
    expect(answer.status).toBe("0");
    expect(deniedBody(decodeCheckResponse(grpcMessages(answer.body)[0] as Buffer)).error.code).toBe(
      "invalid_key",
    );
    expect(await draining).toBe(0);
  });

  it("bounds the drain: a call still waiting after the grace period is cut", async () => {
    release = await holdKeysTable(t);
    const inflight = rawGrpcCall(session, CHECK, unknownKeyCheck()).answer;
    await pause(200);
    expect(await t.app.authz.drain(300)).toBe(1);
    const answer = await inflight;
    expect(answer.status).toBeUndefined();
  });

  it("tells health watchers SERVING, then NOT_SERVING on shutdown, then ends their calls", async () => {
    const watch = healthWatch(t.authzAddress, "envoy.service.auth.v3.Authorization");
    await watch.heard(1);
    expect(watch.statuses).toEqual(["SERVING"]);
    await t.app.destroy();
    expect(await watch.ended).toBe(14);
    expect(watch.statuses).toEqual(["SERVING", "NOT_SERVING"]);
  });
});
