import { describe, expect, it } from "vitest";
import {
  grants,
  intersectScopes,
  isValidScope,
  missingScopes,
  RESERVED_SCOPES,
} from "../../src/keys/scopes.js";

const PART_64 = `a${"b".repeat(63)}`;
const PART_65 = `a${"b".repeat(64)}`;

describe("isValidScope", () => {
  it.each([
    "*",
    "candidates:read",
    "candidates:*",
    "a:b",
    "a1:b2",
    "a_b.c-d:e_f.g-h",
    "keys:admin",
    "platform:admin",
    `${PART_64}:${PART_64}`,
    `${PART_64}:*`,
  ])("accepts %j", (scope) => {
    expect(isValidScope(scope)).toBe(true);
  });

  it.each([
    "",
    " ",
    "a",
    "a:",
    ":b",
    ":",
    "*:*",
    "*:read",
    "a:**",
    "**",
    "a:b:c",
    "A:b",
    "a:B",
    "Candidates:read",
    "1a:b",
    "a:1b",
    "_a:b",
    "a:-b",
    "a :b",
    "a: b",
    " a:b",
    "a:b ",
    "a:b\n",
    "a:*b",
    "a*:b",
    "é:b",
    `${PART_65}:b`,
    `a:${PART_65}`,
  ])("rejects %j", (scope) => {
    expect(isValidScope(scope)).toBe(false);
  });
});

describe("grants", () => {
  it.each([
    ["candidates:read", "candidates:read", true],
    ["candidates:read", "candidates:write", false],
    ["candidates:*", "candidates:read", true],
    ["candidates:*", "candidates:*", true],
    ["candidates:*", "jobs:read", false],
    ["candidates:*", "candidatesx:read", false],
    ["candidate:*", "candidates:read", false],
    ["*", "candidates:read", true],
    ["*", "candidates:*", true],
    ["*", "*", true],
    ["candidates:read", "*", false],
    ["candidates:read", "candidates:*", false],
    ["candidates:*", "*", false],
  ])("%j grants %j: %s", (held, required, expected) => {
    expect(grants(held, required)).toBe(expected);
  });

  it("has exactly the two reserved admin scopes", () => {
    expect([...RESERVED_SCOPES].sort()).toEqual(["keys:admin", "platform:admin"]);
  });

  it.each(["keys:admin", "platform:admin"])("never grants reserved %s by a wildcard", (reserved) => {
    expect(grants("*", reserved)).toBe(false);
    expect(grants("keys:*", reserved)).toBe(false);
    expect(grants("platform:*", reserved)).toBe(false);
    expect(grants(reserved, reserved)).toBe(true);
  });

  it("does not let one reserved scope stand for the other", () => {
    expect(grants("platform:admin", "keys:admin")).toBe(false);
    expect(grants("keys:admin", "platform:admin")).toBe(false);
  });

  it("still lets wildcards grant the non-reserved actions of the admin resources", () => {
    expect(grants("keys:*", "keys:read")).toBe(true);
    expect(grants("*", "platform:read")).toBe(true);
  });
});

describe("missingScopes", () => {
  it("is empty when nothing is required", () => {
    expect(missingScopes([], [])).toEqual([]);
    expect(missingScopes(["a:b"], [])).toEqual([]);
  });

  it("lists every required scope when the key holds none", () => {
    expect(missingScopes([], ["a:read", "b:write"])).toEqual(["a:read", "b:write"]);
  });

  it("keeps the order asked and drops what any held scope grants", () => {
    expect(missingScopes(["b:*", "d:read"], ["d:write", "a:read", "b:read", "d:read", "c:x"])).toEqual([
      "d:write",
      "a:read",
      "c:x",
    ]);
  });

  it("treats * as everything except the reserved scopes", () => {
    expect(missingScopes(["*"], ["a:read", "keys:admin", "z:*", "platform:admin"])).toEqual([
      "keys:admin",
      "platform:admin",
    ]);
  });

  it("accepts a reserved scope only when held verbatim", () => {
    expect(missingScopes(["keys:admin"], ["keys:admin"])).toEqual([]);
    expect(missingScopes(["keys:*", "*"], ["keys:admin"])).toEqual(["keys:admin"]);
  });
});

describe("intersectScopes", () => {
  it.each([
    [["*"], ["candidates:read"], ["candidates:read"]],
    [["candidates:read"], ["*"], ["candidates:read"]],
    [["candidates:*"], ["candidates:read", "jobs:read"], ["candidates:read"]],
    [["candidates:*"], ["*"], ["candidates:*"]],
    [["*"], ["*"], ["*"]],
    [["a:b"], ["c:d"], []],
    [["*"], ["keys:admin"], []],
    [["keys:admin"], ["keys:admin"], ["keys:admin"]],
  ])("%j with %j holds %j", (a, b, expected) => {
    expect(intersectScopes(a, b).sort()).toEqual([...expected].sort());
  });
});
