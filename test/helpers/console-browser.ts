/// <reference lib="dom" />
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { axeProblems, launchChromium, watchCsp } from "./browser.js";
import { EnvoyClient, outcomeCode } from "./envoy-client.js";
import { startTestApp, type TestApp, type TestAppOptions } from "./test-app.js";

/** A real app and Debian's Chromium looking at its console, for one e2e suite. */
export interface ConsoleSuite {
  t: TestApp;
  page: Page;
  context: BrowserContext;
  /** Signs in with `key` from a fresh sign-in page and waits for the keys page. */
  signIn(key: string): Promise<void>;
  /** The modal dialog named `name`. */
  dialog(name: string): Locator;
  /** Check's answer for `secret` (bearer), as "allow" or the denial code. */
  check(secret: string): Promise<string>;
  /** axe-core's serious and critical problems on the page as it stands. */
  accessibilityProblems(): Promise<string[]>;
  /** Every CSP violation the page reported so far. */
  cspViolations(): Promise<string[]>;
}

/**
 * Registers the suite's hooks: the app starts (with `options`) and a browser opens before the first case,
 * and both go after the last. The returned object is filled in by then.
 */
export function useConsoleSuite(options: TestAppOptions = {}): ConsoleSuite {
  let browser: Browser | undefined;
  let envoy: EnvoyClient | undefined;
  let csp: () => Promise<string[]> = async () => [];
  const suite = {
    async signIn(key: string) {
      const page = suite.page;
      await page.goto(`${suite.t.adminUrl}/console/`);
      const out = page.getByRole("button", { name: "Sign out", exact: true });
      const box = page.getByRole("textbox", { name: "Admin key", exact: true });
      await out.or(box).first().waitFor();
      if (await out.isVisible()) await out.click();
      await box.fill(key);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.getByRole("heading", { name: "API keys", exact: true }).waitFor();
    },
    dialog: (name: string) => suite.page.getByRole("dialog", { name, exact: true }),
    async check(secret: string) {
      envoy ??= new EnvoyClient(suite.t.authzAddress);
      return outcomeCode(await envoy.check({ headers: { authorization: `Bearer ${secret}` } }));
    },
    accessibilityProblems: () => axeProblems(suite.page),
    cspViolations: () => csp(),
  } as ConsoleSuite;
  beforeAll(async () => {
    suite.t = await startTestApp(options);
    browser = await launchChromium();
    suite.context = await browser.newContext({
      viewport: { width: 1200, height: 800 },
      timezoneId: "UTC",
      permissions: ["clipboard-read", "clipboard-write"],
    });
    suite.page = await suite.context.newPage();
    csp = await watchCsp(suite.page);
  }, 180_000);
  afterAll(async () => {
    envoy?.close();
    await browser?.close();
    await suite.t?.close();
  });
  return suite;
}
