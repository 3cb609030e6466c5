import { describe, expect, it } from "vitest";
import { recentSources, sourceAddress } from "../../src/authz/source-address.js";

/** Source addresses as stored and as budgets count them. */
describe("sourceAddress", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7", "203.0.113.7"],
    ["::FFFF:cb00:7107", "203.0.113.7", "203.0.113.7"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1", "2001:db8::/64"],
    [
      "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff",
      "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff",
      "2001:db8:aaaa:bbbb::/64",
    ],
    ["fe80::1%eth0", "fe80::1", "fe80::/64"],
    [`fe80::1%${"z".repeat(3000)}`, "fe80::1", "fe80::/64"],
    ["fe80::1%a\u0000b", "fe80::1", "fe80::/64"],
    ["::1", "::1", "::/64"],
    ["::", "::", "::/64"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3", "1:0:0:2::/64"],
    ["1:0:0:2:0:0:3:4", "1::2:0:0:3:4", "1:0:0:2::/64"],
  ])("%j is stored as %j and counted under %j", (raw, text, key) => {
    expect(sourceAddress(raw)).toMatchObject({ text, key });
  });

  it("counts every address of one /64 as one source, and neighbouring /64s apart", () => {
    const keys = ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2:1:2:3:4"].map(
      (a) => sourceAddress(a)?.key,
    );
    expect(new Set(keys).size).toBe(1);
    expect(sourceAddress("2001:db8:1:3::1")?.key).not.toBe(keys[0]);
  });

  it("answers a repeated address from memory, the same as the first time, past the memory's bound", () => {
    expect(sourceAddress("198.51.100.9")).toBe(sourceAddress("198.51.100.9"));
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3000; i++) {
        const raw = `10.${i >> 8}.${i & 255}.${round}`;
        expect(sourceAddress(raw)).toMatchObject({ text: raw, key: raw });
        expect(sourceAddress(`::ffff:${raw}`)).toMatchObject({ text: raw, key: raw });
      }
    }
    expect(recentSources.size).toBeLessThanOrEqual(recentSources.limit);
    const long = `fe80::1%${"z".repeat(3000)}`;
    expect([sourceAddress(long)?.text, sourceAddress(long)?.text]).toEqual(["fe80::1", "fe80::1"]);
    expect(recentSources.get(long)).toBeUndefined();
  });

  it("refuses what is not an address", () => {
    for (const raw of ["", "localhost", "1.2.3", "203.0.113.7\u0000", "::g", "01.2.3.4"]) {
      expect(sourceAddress(raw), raw).toBeUndefined();
    }
  });
});
