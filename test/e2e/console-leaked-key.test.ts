/// <reference lib="dom" />
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { useConsoleSuite } from "../helpers/console-browser.js";
import { selfRevoke } from "../helpers/leak-reports.js";

const SHOTS = fileURLToPath(new URL("../../docs/console/", import.meta.url));

/**
 * A key reported leaked (here by its holder, under the `notify` policy, so it still works) is marked in the
 * keys table and carries a banner on its page saying who reported it and what to do; other keys carry none.
 */
describe("console: leaked keys", () => {
  const s = useConsoleSuite({ env: { KEYWARD_LEAK_POLICY: "notify" } });
  let admin: string;
  let exposed: { id: string; secret: string };

  beforeAll(async () => {
    admin = (await s.t.mintKey({ companyId: "acme", scopes: ["keys:admin"], name: "acme admin" })).secret;
    exposed = await s.t.mintKey({ companyId: "acme", name: "Exposed in a gist" });
    await s.t.mintKey({ companyId: "acme", name: "Kept safe" });
    expect((await selfRevoke(s.t.adminUrl, [exposed.secret])).status).toBe(202);
    // Flagged, not revoked: the policy is notify.
    expect(await s.check(exposed.secret)).toBe("allow");
  });

  it("marks the reported key, and only it, in the keys table", async () => {
    await s.signIn(admin);
    const row = (name: string) =>
      s.page.getByRole("row").filter({ has: s.page.getByRole("link", { name, exact: true }) });
    await expect.poll(() => row("Exposed in a gist").textContent()).toContain("leaked");
    expect(await row("Kept safe").textContent()).not.toContain("leaked");
  });

  it("shows the banner on the key's page: reporter, and that the key still works", async () => {
    await s.page.getByRole("link", { name: "Exposed in a gist", exact: true }).click();
    const banner = s.page.getByRole("region", { name: "Leaked key", exact: true });
    await banner.waitFor();
    const text = await banner.textContent();
    expect(text).toContain("Reported leaked by someone holding the key");
    expect(text).toContain("It still works");
    expect(await s.accessibilityProblems()).toEqual([]);
    await s.page.screenshot({ path: `${SHOTS}key-leaked.png`, fullPage: true });
  });

  it("says the key is revoked once it is, and other keys' pages carry no banner", async () => {
    await s.page.getByRole("button", { name: "Revoke", exact: true }).click();
    const d = s.dialog("Revoke key");
    await d.getByRole("textbox", { name: "Reason", exact: true }).fill("leaked");
    await d.getByRole("button", { name: "Revoke key", exact: true }).click();
    const banner = s.page.getByRole("region", { name: "Leaked key", exact: true });
    await expect.poll(() => banner.textContent()).toContain("It has been revoked");
    expect(await s.check(exposed.secret)).toBe("revoked_key");
    await s.page.getByRole("link", { name: "← All keys", exact: true }).click();
    await s.page.getByRole("link", { name: "Kept safe", exact: true }).click();
    await s.page.getByRole("heading", { name: "Kept safe", exact: true }).waitFor();
    expect(await banner.count()).toBe(0);
    expect(await s.cspViolations()).toEqual([]);
  });
});
