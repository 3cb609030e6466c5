import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { closestName } from "../../src/text/closest-name.js";

describe("KEYWARD_* variables that are not settings", () => {
  it("are named in one warning each, with the closest real setting", () => {
    const config = loadConfig({
      KEYWARD_DATA_DRI: "./elsewhere",
      KEYWARD_LOG_LEVLE: "debug",
      KEYWARD_ZZZZZZZZZZZZZZZZ: "1",
    });
    expect(config.unknownSettings).toEqual([
      "KEYWARD_DATA_DRI is not a Keyward setting and is ignored (did you mean KEYWARD_DATA_DIR?)",
      "KEYWARD_LOG_LEVLE is not a Keyward setting and is ignored (did you mean KEYWARD_LOG_LEVEL?)",
      "KEYWARD_ZZZZZZZZZZZZZZZZ is not a Keyward setting and is ignored",
    ]);
  });

  it("are not raised for real settings, those read only in some setups, or other programs' variables", () => {
    const config = loadConfig({
      KEYWARD_CACHE_TTL: "10s",
      KEYWARD_DATABASE_URL: "memory://",
      KEYWARD_DATA_DIR: "/var/lib/keyward",
      KEYWARD_UNKNOWN_KEY_LIMIT: "off",
      NODE_ENV: "production",
    });
    expect(config.unknownSettings).toEqual([]);
  });
});

describe("closestName", () => {
  it("finds a likely misspelling and gives up on an unrelated name", () => {
    expect(closestName("scope", ["name", "scopes", "tags"])).toBe("scopes");
    expect(closestName("expires", ["name", "scopes", "expireTime", "ttl"])).toBeUndefined();
    expect(closestName("ipAllowList", ["ipAllowlist", "tags"])).toBe("ipAllowlist");
  });
});
