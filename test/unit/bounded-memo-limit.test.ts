import { describe, expect, it } from "vitest";
import { BoundedMemo } from "../../src/authz/bounded-memo.js";

describe("BoundedMemo", () => {
  it("holds at most its limit, starting over when a new key would pass it", () => {
    const memo = new BoundedMemo<string, number>(3);
    for (const [i, key] of ["a", "b", "c"].entries()) memo.set(key, i);
    expect([memo.get("a"), memo.get("b"), memo.get("c"), memo.size]).toEqual([0, 1, 2, 3]);
    memo.set("d", 3);
    expect([memo.get("a"), memo.get("d"), memo.size]).toEqual([undefined, 3, 1]);
  });

  it("replaces a value it holds without starting over, even when full", () => {
    const memo = new BoundedMemo<string, number>(2);
    memo.set("a", 1);
    memo.set("b", 2);
    memo.set("a", 9);
    expect([memo.get("a"), memo.get("b"), memo.size]).toEqual([9, 2, 2]);
  });
});
