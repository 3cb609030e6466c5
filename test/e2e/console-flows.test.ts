/// <reference lib="dom" />
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeProblems, launchChromium, watchCsp } from "../helpers/browser.js";
import { sessionRpc } from "../helpers/console-session.js";
import { EnvoyClient, outcomeCode } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

const SHOTS = fileURLToPath(new URL("../../docs/console/", import.meta.url));

/**
 * The console in Debian's Chromium against the real server: every flow a person goes through, found by the
 * accessible names DESIGN fixes, with the keys it hands out checked for real on the Check path.
 */
describe("web console, end to end", () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cspViolations: () => Promise<string[]>;
  let envoy: EnvoyClient;
  let acmeAdmin: string;
  let platformAdmin: string;
  let globexKey: { id: string; secret: string };
  let secret = "";
  let keyId = "";

  const check = async (key: string) =>
    outcomeCode(
      await envoy.check({
        headers: { authorization: `Bearer ${key}` },
        contextExtensions: { scopes: "jobs:read" },
      }),
    );
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  const expectAccessible = async () => expect(await axeProblems(page)).toEqual([]);
  const dialog = (name: string) => page.getByRole("dialog", { name, exact: true });

  beforeAll(async () => {
    t = await startTestApp();
    envoy = new EnvoyClient(t.authzAddress);
    acmeAdmin = (await t.mintKey({ companyId: "acme", scopes: ["keys:admin"], name: "acme admin" })).secret;
    platformAdmin = (await t.mintKey({ companyId: "ops", scopes: ["platform:admin"], name: "root" })).secret;
    globexKey = await t.mintKey({ companyId: "globex", scopes: ["jobs:read"], name: "Globex billing" });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: t.adminUrl });
    page = await context.newPage();
    cspViolations = await watchCsp(page);
  }, 180_000);
  afterAll(async () => {
    envoy?.close();
    await browser?.close();
    await t?.close();
  });

  it("redirects / to the console, which sends its CSP and security headers", async () => {
    const res = await page.goto(`${t.adminUrl}/`);
    expect(page.url()).toBe(`${t.adminUrl}/console/`);
    const headers = res?.headers() ?? {};
    expect(headers["content-security-policy"]).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("no-referrer");
    const html = readFileSync(
      fileURLToPath(new URL("../../dist/console/index.html", import.meta.url)),
      "utf8",
    );
    const asset = /\/console\/assets\/[^"]+\.js/.exec(html)?.[0];
    const assetRes = await fetch(`${t.adminUrl}${asset}`);
    expect(assetRes.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  });

  it("refuses a key that is not an admin key, in words, then signs in with an admin key", async () => {
    await page.getByRole("textbox", { name: "Admin key", exact: true }).fill(globexKey.secret);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("not an admin key");
    await expectAccessible();
    await shot("sign-in");
    await page.getByRole("textbox", { name: "Admin key", exact: true }).fill(acmeAdmin);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "API keys", exact: true }).waitFor();
    expect(await page.getByRole("button", { name: "Sign out", exact: true }).isVisible()).toBe(true);
    for (const link of ["Keys", "Audit log", "Users", "Webhooks"]) {
      expect(await page.getByRole("link", { name: link, exact: true }).isVisible()).toBe(true);
    }
  });

  it("shows field errors from the API beside the fields", async () => {
    await page.getByRole("button", { name: "Create key", exact: true }).click();
    const d = dialog("Create key");
    await d.getByRole("textbox", { name: "Name", exact: true }).fill("Jobs reader");
    await d.getByRole("textbox", { name: "Scopes", exact: true }).fill("Not A Scope");
    await d.getByRole("button", { name: "Create", exact: true }).click();
    await expect
      .poll(() => d.getByRole("textbox", { name: "Scopes", exact: true }).getAttribute("aria-invalid"))
      .toBe("true");
    await expectAccessible();
  });

  it("creates a key and shows its secret once; the secret passes a real Check and is kept nowhere", async () => {
    const d = dialog("Create key");
    await d.getByRole("textbox", { name: "Scopes", exact: true }).fill("jobs:read");
    await d.getByRole("combobox", { name: "Environment", exact: true }).selectOption("live");
    await d.getByRole("combobox", { name: "Expires", exact: true }).selectOption("30 days");
    await d.getByRole("textbox", { name: "IP allowlist", exact: true }).fill("");
    await d.getByRole("textbox", { name: "Tags", exact: true }).fill("billing, e2e");
    await shot("create-key");
    await d.getByRole("button", { name: "Create", exact: true }).click();
    const s = dialog("Copy your key");
    await s.waitFor();
    secret = await s.getByRole("textbox", { name: "Secret key", exact: true }).inputValue();
    expect(secret).toMatch(/^sk_live_[0-9A-Za-z]{49}$/);
    expect(await s.textContent()).toContain(`Authorization: Bearer ${secret}`);
    await expectAccessible();
    await s.getByRole("button", { name: "Copy", exact: true }).click();
    await s.getByRole("button", { name: "Done", exact: true }).click();
    await s.waitFor({ state: "detached" });
    expect(await check(secret)).toBe("allow");
    const kept = await page.evaluate(async () => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      url: window.location.href,
      html: document.documentElement.outerHTML,
      indexedDb: JSON.stringify(await indexedDB.databases()),
    }));
    for (const place of Object.values(kept)) expect(place).not.toContain(secret);
    expect(page.url()).not.toContain(secret);
  });

  it("lists the company's keys only, with the new one linking to its page", async () => {
    await page.reload();
    await page.getByRole("link", { name: "Jobs reader", exact: true }).waitFor();
    const table = await page.getByRole("table").textContent();
    expect(table).not.toContain("Globex billing");
    expect(table).toContain("Jobs reader");
    await expectAccessible();
    await shot("keys");
    await page.getByRole("button", { name: "Never expires", exact: true }).click();
    await page.getByRole("link", { name: "Jobs reader", exact: true }).waitFor({ state: "detached" });
    expect(await page.getByRole("table").textContent()).toContain("acme admin");
    await page.getByRole("button", { name: "Never expires", exact: true }).click();
    await page.getByRole("link", { name: "Jobs reader", exact: true }).waitFor();
    await page.goto(`${t.adminUrl}/console/keys/${globexKey.id}`);
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Not found");
    await page.goto(`${t.adminUrl}/console/`);
  });

  it("opens the key page: usage chart, settings edited in place", async () => {
    await t.app.ctx.traffic.flush();
    await page.getByRole("link", { name: "Jobs reader", exact: true }).click();
    await page.getByRole("heading", { name: "Jobs reader", exact: true }).waitFor();
    keyId = page.url().split("/").pop() ?? "";
    await expect.poll(() => page.getByRole("img").first().getAttribute("aria-label")).toContain("1 allowed");
    const settings = page.getByRole("region", { name: "Settings" });
    await settings.getByRole("textbox", { name: "Name", exact: true }).fill("Jobs reader (billing)");
    await settings.getByRole("button", { name: "Save changes", exact: true }).click();
    await page.getByRole("heading", { name: "Jobs reader (billing)", exact: true }).waitFor();
    await expectAccessible();
    await shot("key-page");
  });

  it("rotates with a grace period: old and new secrets both pass Check", async () => {
    await page.getByRole("button", { name: "Rotate", exact: true }).click();
    const d = dialog("Rotate key");
    expect(await d.getByRole("combobox", { name: "Grace period", exact: true }).inputValue()).toBe("86400");
    await d.getByRole("combobox", { name: "Grace period", exact: true }).selectOption({ label: "1 hour" });
    await expectAccessible();
    await d.getByRole("button", { name: "Rotate key", exact: true }).click();
    const s = dialog("Copy your key");
    const rotated = await s.getByRole("textbox", { name: "Secret key", exact: true }).inputValue();
    expect(rotated).not.toBe(secret);
    await s.getByRole("button", { name: "Copy", exact: true }).click();
    await s.getByRole("button", { name: "Done", exact: true }).click();
    await s.waitFor({ state: "detached" });
    expect(await check(secret)).toBe("allow");
    expect(await check(rotated)).toBe("allow");
    secret = rotated;
    await page.getByRole("heading", { name: "Jobs reader (billing)", exact: true }).waitFor();
    expect(page.url()).not.toContain(keyId);
  });

  it("suspends and resumes, then revokes; Check follows each step", async () => {
    await page.getByRole("button", { name: "Suspend", exact: true }).click();
    const s = dialog("Suspend key");
    await s.getByRole("textbox", { name: "Reason", exact: true }).fill("investigating");
    await s.getByRole("button", { name: "Suspend key", exact: true }).click();
    await page.getByRole("button", { name: "Resume", exact: true }).waitFor();
    expect(await check(secret)).toBe("suspended_key");
    await page.getByRole("button", { name: "Resume", exact: true }).click();
    await page.getByRole("button", { name: "Suspend", exact: true }).waitFor();
    expect(await check(secret)).toBe("allow");
    await page.getByRole("button", { name: "Revoke", exact: true }).click();
    const r = dialog("Revoke key");
    await r.getByRole("textbox", { name: "Reason", exact: true }).fill("leaked in a log");
    await expectAccessible();
    await r.getByRole("button", { name: "Revoke key", exact: true }).click();
    await page.getByText("revoked", { exact: true }).first().waitFor();
    expect(await check(secret)).toBe("revoked_key");
  });

  it("reads the audit log with filters and exports it as CSV", async () => {
    await page.getByRole("link", { name: "Audit log", exact: true }).click();
    await page.getByRole("heading", { name: "Audit log", exact: true }).waitFor();
    await page.getByRole("combobox", { name: "Action", exact: true }).selectOption("key.revoke");
    // The unfiltered log holds the revocation too: wait for the filtered answer, which has no creations.
    await expect
      .poll(async () => {
        const rows = (await page.getByRole("table").textContent()) ?? "";
        return rows.includes("leaked in a log") && !rows.includes("key.create");
      })
      .toBe(true);
    await expectAccessible();
    await shot("audit-log");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV", exact: true }).click(),
    ]);
    const path = await download.path();
    const csv = readFileSync(path, "utf8");
    expect(csv.split("\r\n")[0]).toBe("time,action,actor,key_id,company_id,reason,source_ip,request_id");
    expect(csv).toContain("key.revoke");
    expect(csv).not.toContain("key.create");
  });

  it("adds and removes a company member", async () => {
    await page.getByRole("link", { name: "Users", exact: true }).click();
    await page.getByRole("heading", { name: "Users", exact: true }).waitFor();
    await page.getByRole("textbox", { name: "User id", exact: true }).fill("alice");
    await page.getByRole("textbox", { name: "Display name", exact: true }).fill("Alice");
    await page.getByRole("button", { name: "Add user", exact: true }).click();
    await page.getByRole("rowheader", { name: "alice", exact: true }).waitFor();
    await expectAccessible();
    await shot("users");
    await page.getByRole("button", { name: "Remove alice", exact: true }).click();
    await page.getByRole("rowheader", { name: "alice", exact: true }).waitFor({ state: "detached" });
  });

  it("opens the webhooks page, empty at first", async () => {
    await page.getByRole("link", { name: "Webhooks", exact: true }).click();
    await page.getByRole("heading", { name: "Webhooks", exact: true }).waitFor();
    await page.getByText("No webhooks yet.").waitFor();
    await expectAccessible();
  });

  it("works at 360 px wide", async () => {
    await page.setViewportSize({ width: 360, height: 800 });
    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByRole("heading", { name: "API keys", exact: true }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(360);
    await expectAccessible();
    await shot("keys-360px");
    await page.setViewportSize({ width: 1200, height: 800 });
  });

  it("refuses a cross-site POST that carries the session cookie", async () => {
    const cookie = (await context.cookies()).find((c) => c.name === "keyward_session");
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe("Strict");
    const pair = `keyward_session=${cookie?.value}`;
    const crossSite = await sessionRpc(t.adminUrl, pair, "ListKeys", {}, { "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    const form = await sessionRpc(t.adminUrl, pair, "ListKeys", {}, { "connect-protocol-version": null });
    expect(form.status).toBe(403);
    expect((await sessionRpc(t.adminUrl, pair, "ListKeys", {})).status).toBe(200);
  });

  it("saw no CSP violation on any view", async () => {
    expect(await cspViolations()).toEqual([]);
  });

  it("signs out: the sign-in page is back and the old cookie is dead", async () => {
    const cookie = (await context.cookies()).find((c) => c.name === "keyward_session");
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("textbox", { name: "Admin key", exact: true }).waitFor();
    const res = await sessionRpc(t.adminUrl, `keyward_session=${cookie?.value}`, "ListKeys", {});
    expect(res.status).toBe(401);
  });

  it("gives platform admins a Company combobox that narrows the table", async () => {
    await page.getByRole("textbox", { name: "Admin key", exact: true }).fill(platformAdmin);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    const company = page.getByRole("combobox", { name: "Company", exact: true });
    await company.fill("globex");
    await company.press("Enter");
    // Every company's keys show first (Globex's among them): wait for the narrowed list.
    await expect.poll(async () => page.getByRole("table").textContent()).not.toContain("Jobs reader");
    await page.getByRole("link", { name: "Globex billing", exact: true }).waitFor();
    await expectAccessible();
    await shot("keys-platform");
  });
});
