/// <reference lib="dom" />
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { useConsoleSuite } from "../helpers/console-browser.js";

const SHOTS = fileURLToPath(new URL("../../docs/console/", import.meta.url));

/**
 * The console's panic button: RevokeAllKeys behind a confirmation that wants the company id typed exactly,
 * revoking that company's keys (Check refuses them) and no other company's.
 */
describe("console: revoke all keys", () => {
  const s = useConsoleSuite();
  let acme: { id: string; secret: string }[];
  let acmeAdmin: string;
  let globex: { id: string; secret: string };
  let platformAdmin: string;

  beforeAll(async () => {
    acmeAdmin = (await s.t.mintKey({ companyId: "acme", scopes: ["keys:admin"], name: "acme admin" })).secret;
    acme = [
      await s.t.mintKey({ companyId: "acme", name: "acme one" }),
      await s.t.mintKey({ companyId: "acme", name: "acme two" }),
    ];
    globex = await s.t.mintKey({ companyId: "globex", name: "globex one" });
    platformAdmin = (await s.t.mintKey({ companyId: "ops", scopes: ["platform:admin"] })).secret;
    for (const k of [...acme, globex]) expect(await s.check(k.secret)).toBe("allow");
  });

  it("keeps the button disabled until the company id is typed exactly", async () => {
    await s.signIn(acmeAdmin);
    await s.page.getByRole("button", { name: "Revoke all keys", exact: true }).click();
    const d = s.dialog("Revoke all keys");
    const confirm = d.getByRole("button", { name: "Revoke all keys", exact: true });
    expect(await confirm.isDisabled()).toBe(true);
    await d.getByRole("textbox", { name: "Reason", exact: true }).fill("laptop stolen");
    await d.getByRole("textbox", { name: "Company id", exact: true }).fill("globex");
    expect(await confirm.isDisabled()).toBe(true);
    await d.getByRole("textbox", { name: "Company id", exact: true }).fill("acm");
    expect(await confirm.isDisabled()).toBe(true);
    await d.getByRole("textbox", { name: "Company id", exact: true }).fill("acme");
    expect(await confirm.isEnabled()).toBe(true);
    expect(await s.accessibilityProblems()).toEqual([]);
    await s.page.screenshot({ path: `${SHOTS}revoke-all.png`, fullPage: true });
    // Nothing happened while the dialog only asked.
    for (const k of acme) expect(await s.check(k.secret)).toBe("allow");
  });

  it("revokes the company's keys, says how many, and leaves other companies' keys alone", async () => {
    const d = s.dialog("Revoke all keys");
    await d.getByRole("button", { name: "Revoke all keys", exact: true }).click();
    await expect.poll(() => d.getByRole("status").textContent()).toBe("Revoked 3 keys of company acme.");
    for (const k of acme) expect(await s.check(k.secret)).toBe("revoked_key");
    expect(await s.check(acmeAdmin)).toBe("revoked_key");
    expect(await s.check(globex.secret)).toBe("allow");
    // The admin key behind the session was the company's too: closing lands on the sign-in page.
    await d.getByRole("button", { name: "Close", exact: true }).click();
    await s.page.getByRole("textbox", { name: "Admin key", exact: true }).waitFor();
  });

  it("lets a platform admin revoke only the company picked, confirmed by its id", async () => {
    const initech = await s.t.mintKey({ companyId: "initech", name: "initech one" });
    await s.signIn(platformAdmin);
    expect(await s.page.getByRole("button", { name: "Revoke all keys", exact: true }).count()).toBe(0);
    const company = s.page.getByRole("combobox", { name: "Company", exact: true });
    await company.fill("initech");
    await company.press("Enter");
    await s.page.getByRole("link", { name: "initech one", exact: true }).waitFor();
    await s.page.getByRole("button", { name: "Revoke all keys", exact: true }).click();
    const d = s.dialog("Revoke all keys");
    await d.getByRole("textbox", { name: "Company id", exact: true }).fill("initech");
    await d.getByRole("textbox", { name: "Reason", exact: true }).fill("rotation drill");
    await d.getByRole("button", { name: "Revoke all keys", exact: true }).click();
    await expect.poll(() => d.getByRole("status").textContent()).toBe("Revoked 1 key of company initech.");
    await d.getByRole("button", { name: "Close", exact: true }).click();
    await d.waitFor({ state: "detached" });
    expect(await s.check(initech.secret)).toBe("revoked_key");
    expect(await s.check(globex.secret)).toBe("allow");
    expect(await s.check(platformAdmin)).toBe("allow");
    await expect.poll(() => s.page.getByRole("table").textContent()).toContain("revoked");
  });

  it("saw no CSP violation", async () => {
    expect(await s.cspViolations()).toEqual([]);
  });
});
