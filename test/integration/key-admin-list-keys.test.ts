import { timestampDate } from "@bufbuild/protobuf/wkt";
import { beforeAll, describe, expect, it } from "vitest";
import { invalidFields, type KeyAdminClient, TRANSPORTS } from "../helpers/admin-clients.js";
import { useAdminApp } from "../helpers/harness.js";

const h = useAdminApp();

/** Every key id of a listing, page after page, with the page size asked. */
async function allPages(
  list: (pageToken: string) => Promise<{ keys: { id: string }[]; nextPageToken: string }>,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let token = "";
  let pages = 0;
  do {
    const page = await list(token);
    ids.push(...page.keys.map((k) => k.id));
    token = page.nextPageToken;
    pages++;
  } while (token !== "" && pages < 100);
  return { ids, pages };
}

describe.each(TRANSPORTS)("ListKeys over %s", (transport) => {
  const company = `lk-${transport}`;
  const other = `lk-other-${transport}`;
  let admin: KeyAdminClient;
  let platform: KeyAdminClient;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    admin = await h.companyAdmin(company, transport);
    platform = h.platform(transport);
    const make = async (name: string, init: Record<string, unknown>) => {
      const { key } = await admin.createKey({ name, ...init });
      ids[name] = key?.id ?? "";
    };
    await make("blue-live", { tags: ["blue"] });
    await make("blue-red-test", { tags: ["red", "blue"], environment: "test" });
    await make("plain-test", { environment: "test" });
    await make("suspended", { tags: ["red"] });
    await make("revoked", {});
    await admin.suspendKey({ keyId: ids.suspended ?? "", reason: "paused" });
    await admin.revokeKey({ keyId: ids.revoked ?? "", reason: "gone" });
    await h.t.mintKey({ companyId: other, name: "other company", tags: ["blue"] });
  });

  const names = (keys: { id: string }[]) =>
    keys.map((k) => Object.keys(ids).find((n) => ids[n] === k.id) ?? k.id).sort();

  it("lists the company's keys, newest first", async () => {
    const { keys } = await admin.listKeys({ companyId: company });
    const mine = keys.filter((k) => Object.values(ids).includes(k.id));
    expect(names(mine)).toEqual(["blue-live", "blue-red-test", "plain-test", "revoked", "suspended"]);
    expect(keys.every((k) => k.companyId === company)).toBe(true);
    const times = keys.map((k) => (k.createTime ? timestampDate(k.createTime).getTime() : 0));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("filters by status", async () => {
    expect(names((await admin.listKeys({ status: "suspended" })).keys)).toEqual(["suspended"]);
    expect(names((await admin.listKeys({ status: "revoked" })).keys)).toEqual(["revoked"]);
    const active = (await admin.listKeys({ status: "active" })).keys;
    expect(active.every((k) => k.status === "active")).toBe(true);
    expect(names(active)).toContain("blue-live");
    expect(names(active)).not.toContain("suspended");
  });

  it("filters by environment", async () => {
    expect(names((await admin.listKeys({ environment: "test" })).keys)).toEqual([
      "blue-red-test",
      "plain-test",
    ]);
    const live = (await admin.listKeys({ environment: "live" })).keys;
    expect(live.every((k) => k.environment === "live")).toBe(true);
  });

  it("filters by tag", async () => {
    expect(names((await admin.listKeys({ tag: "blue" })).keys)).toEqual(["blue-live", "blue-red-test"]);
    expect(names((await admin.listKeys({ tag: "red" })).keys)).toEqual(["blue-red-test", "suspended"]);
    expect((await admin.listKeys({ tag: "green" })).keys).toEqual([]);
  });

  it("combines filters", async () => {
    expect(names((await admin.listKeys({ tag: "blue", environment: "test" })).keys)).toEqual([
      "blue-red-test",
    ]);
    expect(names((await admin.listKeys({ tag: "red", status: "suspended" })).keys)).toEqual(["suspended"]);
  });

  it("lets a platform admin list one company, or every company", async () => {
    const one = await platform.listKeys({ companyId: other });
    expect(one.keys.map((k) => k.name)).toEqual(["other company"]);
    const blue = await platform.listKeys({ tag: "blue", pageSize: 1000 });
    const companies = new Set(blue.keys.map((k) => k.companyId));
    expect(companies.has(company)).toBe(true);
    expect(companies.has(other)).toBe(true);
  });

  describe("paging", () => {
    const paged = `lk-paged-${transport}`;
    let pagedAdmin: KeyAdminClient;
    let expected: string[];

    beforeAll(async () => {
      pagedAdmin = h.clients.client(
        transport,
        (await h.t.mintKey({ companyId: paged, scopes: ["keys:admin"], name: "admin" })).secret,
      );
      // Minted straight in the store, many share a millisecond: order must still be total and stable.
      for (let i = 0; i < 57; i++) await h.t.mintKey({ companyId: paged, name: `k${i}`, tags: ["paged"] });
      expected = (await pagedAdmin.listKeys({ tag: "paged", pageSize: 1000 })).keys.map((k) => k.id);
    });

    it("has 57 keys to page through", () => {
      expect(expected).toHaveLength(57);
      expect(new Set(expected).size).toBe(57);
    });

    it("pages 50 at a time by default", async () => {
      const first = await pagedAdmin.listKeys({ tag: "paged" });
      expect(first.keys).toHaveLength(50);
      expect(first.nextPageToken).not.toBe("");
      const second = await pagedAdmin.listKeys({ tag: "paged", pageToken: first.nextPageToken });
      expect(second.keys).toHaveLength(7);
      expect(second.nextPageToken).toBe("");
    });

    it("accepts page_size 1000, the maximum", async () => {
      const page = await pagedAdmin.listKeys({ pageSize: 1000 });
      expect(page.keys).toHaveLength(58);
      expect(page.nextPageToken).toBe("");
    });

    it.each([1, 7, 19, 56, 57])(
      "returns every key exactly once, in a stable order, %i per page",
      async (size) => {
        const { ids: seen, pages } = await allPages((pageToken) =>
          pagedAdmin.listKeys({ tag: "paged", pageSize: size, pageToken }),
        );
        expect(seen).toEqual(expected);
        expect(pages).toBe(Math.ceil(57 / size));
      },
    );

    it("ends with an empty token on an exact last page", async () => {
      const first = await pagedAdmin.listKeys({ tag: "paged", pageSize: 57 });
      expect(first.keys).toHaveLength(57);
      expect(first.nextPageToken).toBe("");
    });

    it("sees keys created mid-way only if they sort after the position", async () => {
      const first = await pagedAdmin.listKeys({ tag: "paged", pageSize: 10 });
      const { key } = await pagedAdmin.createKey({ tags: ["paged-late"] });
      const rest = await allPages((pageToken) =>
        pagedAdmin.listKeys({ tag: "paged", pageSize: 10, pageToken: pageToken || first.nextPageToken }),
      );
      expect([...first.keys.map((k) => k.id), ...rest.ids]).toEqual(expected);
      expect(rest.ids).not.toContain(key?.id);
    });

    it.each([-1, -50, 1001, 2_000_000_000])("refuses page_size %i, naming page_size", async (pageSize) => {
      expect(await invalidFields(pagedAdmin.listKeys({ pageSize }))).toEqual(["page_size"]);
    });

    it("refuses a tampered page token", async () => {
      const { nextPageToken } = await pagedAdmin.listKeys({ tag: "paged", pageSize: 5 });
      const [body = "", mac = ""] = nextPageToken.split(".");
      // Change whole sextets at the start: the last base64 character may carry bits a decoder ignores.
      const flip = (s: string) => `${s.startsWith("W") ? "X" : "W"}${s.slice(1)}`;
      const flipped = `${flip(body)}.${mac}`;
      expect(
        await invalidFields(pagedAdmin.listKeys({ tag: "paged", pageSize: 5, pageToken: flipped })),
      ).toEqual(["page_token"]);
      const badMac = `${body}.${flip(mac)}`;
      expect(
        await invalidFields(pagedAdmin.listKeys({ tag: "paged", pageSize: 5, pageToken: badMac })),
      ).toEqual(["page_token"]);
    });

    it("refuses a forged page token", async () => {
      const body = Buffer.from(JSON.stringify(["2099-01-01T00:00:00.000Z", "key_zzz"])).toString("base64url");
      for (const forged of [`${body}.AAAA`, body, "garbage", `${body}.${body}.x`, "x".repeat(2000)]) {
        expect(await invalidFields(pagedAdmin.listKeys({ tag: "paged", pageToken: forged }))).toEqual([
          "page_token",
        ]);
      }
    });

    it("refuses a page token from a query with other filters", async () => {
      const { nextPageToken } = await pagedAdmin.listKeys({ tag: "paged", pageSize: 5 });
      for (const other of [
        { tag: "other" },
        { tag: "paged", status: "active" },
        { environment: "live" },
        {},
      ]) {
        expect(
          await invalidFields(pagedAdmin.listKeys({ ...other, pageSize: 5, pageToken: nextPageToken })),
        ).toEqual(["page_token"]);
      }
    });

    it("refuses a page token issued to another caller", async () => {
      const { nextPageToken } = await pagedAdmin.listKeys({ companyId: paged, pageSize: 5 });
      const platform = h.platform(transport);
      expect(
        await invalidFields(platform.listKeys({ companyId: paged, pageSize: 5, pageToken: nextPageToken })),
      ).toEqual(["page_token"]);
    });

    it("accepts another page size with the same token", async () => {
      const first = await pagedAdmin.listKeys({ tag: "paged", pageSize: 5 });
      const next = await pagedAdmin.listKeys({ tag: "paged", pageSize: 52, pageToken: first.nextPageToken });
      expect([...first.keys, ...next.keys].map((k) => k.id)).toEqual(expected);
    });
  });

  it("refuses an unknown status or environment", async () => {
    expect(await invalidFields(admin.listKeys({ status: "deleted" }))).toEqual(["status"]);
    expect(await invalidFields(admin.listKeys({ environment: "prod" }))).toEqual(["environment"]);
  });
});
