import { describe, expect, it } from "vitest";
import {
  checkCompanyId,
  checkEnvironment,
  checkExpiry,
  checkIpAllowlist,
  checkMetadata,
  checkName,
  checkScopes,
  checkTags,
  type FieldViolation,
  LIMITS,
  Violations,
} from "../../src/keys/validation.js";

/** The violations one check reports. */
function run(check: (v: Violations) => void): FieldViolation[] {
  const v = new Violations();
  check(v);
  expect(v.ok).toBe(v.list.length === 0);
  return v.list;
}

const fields = (list: FieldViolation[]) => list.map((x) => x.field);
const n = (count: number, make: (i: number) => string) => Array.from({ length: count }, (_, i) => make(i));

describe("Violations", () => {
  it("is ok until something is added, and keeps the order added", () => {
    const v = new Violations();
    expect(v.ok).toBe(true);
    v.add("a", "x");
    v.add("b", "y");
    expect(v.ok).toBe(false);
    expect(v.list).toEqual([
      { field: "a", description: "x" },
      { field: "b", description: "y" },
    ]);
  });
});

describe("limits", () => {
  it("are those the design fixes", () => {
    expect(LIMITS).toMatchObject({
      name: 128,
      scopes: 64,
      ipAllowlist: 64,
      metadataPairs: 32,
      metadataKey: 64,
      metadataValue: 512,
      tags: 32,
    });
  });
});

describe("checkCompanyId", () => {
  it.each(["acme", "A", "9", "acme.eu-1:prod_2", "a".repeat(128)])("accepts %j", (id) => {
    expect(run((v) => checkCompanyId(v, "key.company_id", id))).toEqual([]);
  });

  it("says a missing company is required", () => {
    expect(run((v) => checkCompanyId(v, "key.company_id", ""))).toEqual([
      { field: "key.company_id", description: "is required" },
    ]);
  });

  it.each(["a".repeat(129), "-acme", ".acme", "ac me", "acme/x", "ácme", "acme\n"])("refuses %j", (id) => {
    expect(fields(run((v) => checkCompanyId(v, "company_id", id)))).toEqual(["company_id"]);
  });
});

describe("checkName", () => {
  it("accepts 128 characters and the empty name", () => {
    expect(run((v) => checkName(v, "name", "n".repeat(128)))).toEqual([]);
    expect(run((v) => checkName(v, "name", ""))).toEqual([]);
  });

  it("refuses 129 characters", () => {
    expect(run((v) => checkName(v, "key.name", "n".repeat(129)))).toEqual([
      { field: "key.name", description: "must be at most 128 characters" },
    ]);
  });

  it.each(["a\u0000b", "tab\there", "line\nbreak", "del\u007f", "c1\u0085"])(
    "refuses control characters in %j",
    (name) => {
      expect(run((v) => checkName(v, "name", name))).toEqual([
        { field: "name", description: "must not contain control characters" },
      ]);
    },
  );

  it("reports both problems at once", () => {
    expect(run((v) => checkName(v, "name", `${"n".repeat(200)}\n`))).toHaveLength(2);
  });
});

describe("checkScopes", () => {
  it("accepts 64 valid scopes", () => {
    expect(
      run((v) =>
        checkScopes(
          v,
          "scopes",
          n(64, (i) => `r${i}:read`),
        ),
      ),
    ).toEqual([]);
  });

  it("refuses 65", () => {
    expect(
      run((v) =>
        checkScopes(
          v,
          "scopes",
          n(65, (i) => `r${i}:read`),
        ),
      ),
    ).toEqual([{ field: "scopes", description: "must hold at most 64 scopes" }]);
  });

  it("names each bad scope by its index", () => {
    const list = run((v) => checkScopes(v, "key.scopes", ["a:read", "A:read", "*", "a:", "*:*"]));
    expect(fields(list)).toEqual(["key.scopes[1]", "key.scopes[3]", "key.scopes[4]"]);
    expect(list[0]?.description).toContain('"A:read"');
  });
});

describe("checkIpAllowlist", () => {
  it("accepts 64 CIDRs of both families", () => {
    const cidrs = n(64, (i) => (i % 2 ? `10.0.${i}.0/24` : `2001:db8:${i.toString(16)}::/48`));
    expect(run((v) => checkIpAllowlist(v, "ip_allowlist", cidrs))).toEqual([]);
  });

  it("refuses 65", () => {
    expect(
      fields(
        run((v) =>
          checkIpAllowlist(
            v,
            "ip_allowlist",
            n(65, (i) => `10.0.${i}.1`),
          ),
        ),
      ),
    ).toEqual(["ip_allowlist"]);
  });

  it("names each bad CIDR by its index", () => {
    const list = run((v) =>
      checkIpAllowlist(v, "key.ip_allowlist", ["10.0.0.0/8", "10.0.0.0/33", "::/0", "abc"]),
    );
    expect(fields(list)).toEqual(["key.ip_allowlist[1]", "key.ip_allowlist[3]"]);
  });
});

describe("checkMetadata", () => {
  const pairs = (count: number) => Object.fromEntries(n(count, (i) => `k${i}`).map((k) => [k, "v"]));

  it("accepts 32 pairs, a 64-character key and a 512-character value", () => {
    expect(run((v) => checkMetadata(v, "metadata", pairs(32)))).toEqual([]);
    expect(run((v) => checkMetadata(v, "metadata", { ["k".repeat(64)]: "v".repeat(512) }))).toEqual([]);
    expect(run((v) => checkMetadata(v, "metadata", { k: "" }))).toEqual([]);
  });

  it("refuses 33 pairs", () => {
    expect(run((v) => checkMetadata(v, "metadata", pairs(33)))).toEqual([
      { field: "metadata", description: "must hold at most 32 pairs" },
    ]);
  });

  it("refuses a 65-character or empty key, naming it", () => {
    const long = "k".repeat(65);
    expect(run((v) => checkMetadata(v, "key.metadata", { [long]: "v" }))).toEqual([
      { field: `key.metadata["${"k".repeat(64)}…"]`, description: "keys must be 1-64 characters" },
    ]);
    expect(fields(run((v) => checkMetadata(v, "metadata", { "": "v" })))).toEqual(['metadata[""]']);
  });

  it("refuses a 513-character value, naming its key", () => {
    expect(run((v) => checkMetadata(v, "metadata", { team: "v".repeat(513) }))).toEqual([
      { field: 'metadata["team"]', description: "values must be at most 512 characters" },
    ]);
  });

  it("never echoes quotes, backslashes or control characters of a bad key into the field path", () => {
    const [violation] = run((v) => checkMetadata(v, "metadata", { [`"\\\n${"x".repeat(70)}`]: "v" }));
    expect(violation?.field).toBe(`metadata["???${"x".repeat(61)}…"]`);
  });
});

describe("checkTags", () => {
  it("accepts 32 tags, up to 64 characters each", () => {
    expect(
      run((v) =>
        checkTags(
          v,
          "tags",
          n(32, (i) => `tag-${i}`),
        ),
      ),
    ).toEqual([]);
    expect(run((v) => checkTags(v, "tags", ["t".repeat(64), "A.b_c:d-e", "9"]))).toEqual([]);
  });

  it("refuses 33 tags", () => {
    expect(
      run((v) =>
        checkTags(
          v,
          "tags",
          n(33, (i) => `tag-${i}`),
        ),
      ),
    ).toEqual([{ field: "tags", description: "must hold at most 32 tags" }]);
  });

  it("names each bad tag by its index", () => {
    const list = run((v) => checkTags(v, "key.tags", ["ok", "t".repeat(65), "", "-x", "a b", "ü"]));
    expect(fields(list)).toEqual(["key.tags[1]", "key.tags[2]", "key.tags[3]", "key.tags[4]", "key.tags[5]"]);
  });
});

describe("checkEnvironment", () => {
  it.each(["live", "test"])("accepts %s", (env) => {
    expect(run((v) => checkEnvironment(v, "environment", env))).toEqual([]);
  });

  it.each(["", "LIVE", "prod", "live "])("refuses %j", (env) => {
    expect(run((v) => checkEnvironment(v, "key.environment", env))).toEqual([
      { field: "key.environment", description: 'must be "live" or "test"' },
    ]);
  });
});

describe("checkExpiry", () => {
  const NOW = Date.UTC(2030, 0, 1);

  it("accepts no expiry and a future one", () => {
    expect(run((v) => checkExpiry(v, "expire_time", null, NOW))).toEqual([]);
    expect(run((v) => checkExpiry(v, "expire_time", new Date(NOW + 1), NOW))).toEqual([]);
  });

  it.each([NOW, NOW - 1, 0])("refuses %d, which is not in the future", (t) => {
    expect(run((v) => checkExpiry(v, "key.expire_time", new Date(t), NOW))).toEqual([
      { field: "key.expire_time", description: "must be in the future" },
    ]);
  });

  it("refuses an invalid date", () => {
    expect(run((v) => checkExpiry(v, "expire_time", new Date(Number.NaN), NOW))).toEqual([
      { field: "expire_time", description: "is not a valid time" },
    ]);
  });
});
