import { describe, expect, it } from "vitest";
import {
  DatabaseTimeoutError,
  DatabaseUnavailableError,
  isDatabaseTimeout,
  isDatabaseUnavailable,
  withDeadline,
} from "../../src/store/db-errors.js";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("database error classes", () => {
  it("counts lost, refused and timed-out connections, shutdowns and our own refusals as unavailable", () => {
    for (const err of [
      withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"),
      withCode("read ECONNRESET", "ECONNRESET"),
      new Error("Connection terminated unexpectedly"),
      new Error("timeout exceeded when trying to connect"),
      new Error("Query read timeout"),
      withCode("terminating connection due to administrator command", "57P01"),
      withCode("the database system is starting up", "57P03"),
      withCode("canceling statement due to statement timeout", "57014"),
      withCode("sorry, too many clients already", "53300"),
      withCode("connection failure", "08006"),
      new DatabaseTimeoutError("key lookup", 100),
      new DatabaseUnavailableError(),
      new Error("wrapped", { cause: withCode("x", "ECONNREFUSED") }),
    ]) {
      expect(isDatabaseUnavailable(err), err.message).toBe(true);
    }
  });

  it("does not count bugs and bad queries", () => {
    for (const err of [
      withCode('relation "keys" does not exist', "42P01"),
      withCode("duplicate key value violates unique constraint", "23505"),
      new TypeError("cannot read properties of undefined"),
    ]) {
      expect(isDatabaseUnavailable(err), err.message).toBe(false);
    }
    expect(isDatabaseUnavailable("a string")).toBe(false);
  });

  it("tells timeouts (one probe decides) from connection faults (down at once)", () => {
    expect(isDatabaseTimeout(new DatabaseTimeoutError("ping", 1000))).toBe(true);
    expect(isDatabaseTimeout(withCode("canceling statement due to statement timeout", "57014"))).toBe(true);
    expect(isDatabaseTimeout(withCode("connect ECONNREFUSED", "ECONNREFUSED"))).toBe(false);
  });

  it("rejects a call that outlives its deadline, and passes on one that does not", async () => {
    const never = new Promise<never>(() => {});
    await expect(withDeadline(never, 20, "a lookup")).rejects.toThrow("a lookup did not finish within 20 ms");
    await expect(withDeadline(Promise.resolve(7), 20, "a lookup")).resolves.toBe(7);
  });
});
