/// <reference lib="dom" />
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClients, type KeyAdminClient } from "../helpers/admin-clients.js";
import { useConsoleSuite } from "../helpers/console-browser.js";

const SHOTS = fileURLToPath(new URL("../../docs/console/", import.meta.url));
const DAY = 86_400_000;

/**
 * The keys table's paging and hygiene counts, and the create dialog's custom expiry date and platform-admin
 * fields (integration keys for several companies, a key for another company), through the real server.
 */
describe("console: key list paging, hygiene counts, create dialog extras", () => {
  const s = useConsoleSuite();
  let clients: AdminClients;
  let platform: KeyAdminClient;
  let pagedAdmin: string;
  let platformAdmin: string;
  const rows = () => s.page.getByRole("table").getByRole("rowheader");
  const button = (name: string) => s.page.getByRole("button", { name, exact: true });

  beforeAll(async () => {
    pagedAdmin = (await s.t.mintKey({ companyId: "paged", scopes: ["keys:admin"], name: "admin" })).secret;
    for (let i = 0; i < 26; i++) await s.t.mintKey({ companyId: "paged", name: `key ${i}` });
    await s.t.mintKey({
      companyId: "paged",
      name: "soon gone",
      expireTime: new Date(Date.now() + 3 * DAY),
      ipAllowlist: ["10.0.0.0/8"],
    });
    platformAdmin = (await s.t.mintKey({ companyId: "ops", scopes: ["platform:admin"] })).secret;
    clients = new AdminClients(s.t.adminUrl);
    platform = clients.client("connect-json-http1", platformAdmin);
  });
  afterAll(() => clients?.close());

  it("pages through the keys, 25 at a time, and back", async () => {
    await s.signIn(pagedAdmin);
    await expect.poll(() => rows().count()).toBe(25);
    expect(await button("Previous page").isDisabled()).toBe(true);
    const first = await rows().allTextContents();
    await button("Next page").click();
    await expect.poll(() => rows().count()).toBe(3);
    const second = await rows().allTextContents();
    expect(second.filter((n) => first.includes(n))).toEqual([]);
    expect(new Set([...first, ...second]).size).toBe(28);
    expect(await button("Next page").isDisabled()).toBe(true);
    await button("Previous page").click();
    await expect.poll(() => rows().allTextContents()).toEqual(first);
  });

  it("shows how many keys each hygiene finding concerns", async () => {
    // Each count describes its button (aria-describedby), whose name stays the finding's.
    const strip = (name: string) =>
      button(name).evaluate(
        (b) => document.getElementById(b.getAttribute("aria-describedby") ?? "")?.textContent,
      );
    await expect.poll(() => strip("Never expires")).toBe("27 keys");
    expect(await strip("No IP allowlist")).toBe("27 keys");
    expect(await strip("Expiring within 7 days")).toBe("1 key");
    expect(await strip("Unused for 90 days")).toBe("0 keys");
    await button("Expiring within 7 days").click();
    await expect.poll(() => rows().allTextContents()).toEqual(["soon gone"]);
    expect(await s.accessibilityProblems()).toEqual([]);
    await s.page.screenshot({ path: `${SHOTS}keys-hygiene.png`, fullPage: true });
    await button("Expiring within 7 days").click();
  });

  it("creates a key expiring on a custom date, refusing a past one beside the field", async () => {
    await button("Create key").click();
    const d = s.dialog("Create key");
    await d.getByRole("textbox", { name: "Name", exact: true }).fill("Until a date");
    await d.getByRole("combobox", { name: "Expires", exact: true }).selectOption("Custom date");
    const date = d.getByLabel("Expiry date", { exact: true });
    await date.fill(new Date(Date.now() - DAY).toISOString().slice(0, 10));
    await d.getByRole("button", { name: "Create", exact: true }).click();
    await expect.poll(() => d.textContent()).toContain("must be in the future");
    const day = new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10);
    await date.fill(day);
    await d.getByRole("button", { name: "Create", exact: true }).click();
    const secret = s.dialog("Copy your key");
    await secret.getByRole("button", { name: "Copy", exact: true }).click();
    await secret.getByRole("button", { name: "Done", exact: true }).click();
    const { keys } = await platform.listKeys({ companyId: "paged", query: "Until a date" });
    const expires = new Date(Number(keys[0]?.expireTime?.seconds ?? 0n) * 1000);
    // The end of that day in the browser's zone (UTC here).
    expect(expires.toISOString()).toBe(`${day}T23:59:59.000Z`);
  });

  it("gives platform admins kind and companies: an integration key for several companies", async () => {
    await s.signIn(platformAdmin);
    await button("Create key").click();
    const d = s.dialog("Create key");
    await d.getByRole("textbox", { name: "Name", exact: true }).fill("Partner sync");
    await d.getByRole("combobox", { name: "Kind", exact: true }).selectOption("integration");
    await d.getByRole("textbox", { name: "Companies", exact: true }).fill("acme, globex");
    await d.getByRole("button", { name: "Create", exact: true }).click();
    // An integration key is owned by one company too: the API's complaint shows beside that field.
    const owner = d.getByRole("textbox", { name: "Owning company", exact: true });
    await expect.poll(() => owner.getAttribute("aria-invalid")).toBe("true");
    await owner.fill("ops");
    expect(await s.accessibilityProblems()).toEqual([]);
    await d.getByRole("button", { name: "Create", exact: true }).click();
    const secret = s.dialog("Copy your key");
    const value = await secret.getByRole("textbox", { name: "Secret key", exact: true }).inputValue();
    await secret.getByRole("button", { name: "Copy", exact: true }).click();
    await secret.getByRole("button", { name: "Done", exact: true }).click();
    const { keys } = await platform.listKeys({ query: "Partner sync" });
    expect(keys.map((k) => [k.kind, [...k.companyIds].sort()])).toEqual([
      ["integration", ["acme", "globex"]],
    ]);
    expect(value).toMatch(/^sk_live_/);
  });

  it("lets platform admins create a standard key owned by another company", async () => {
    await button("Create key").click();
    const d = s.dialog("Create key");
    await d.getByRole("textbox", { name: "Name", exact: true }).fill("Globex reporting");
    await d.getByRole("textbox", { name: "Owning company", exact: true }).fill("globex");
    await d.getByRole("button", { name: "Create", exact: true }).click();
    const secret = s.dialog("Copy your key");
    await secret.getByRole("button", { name: "Copy", exact: true }).click();
    await secret.getByRole("button", { name: "Done", exact: true }).click();
    const { keys } = await platform.listKeys({ companyId: "globex", query: "Globex reporting" });
    expect(keys.map((k) => [k.kind || "standard", k.companyId])).toEqual([["standard", "globex"]]);
    expect(await s.cspViolations()).toEqual([]);
  });
});
