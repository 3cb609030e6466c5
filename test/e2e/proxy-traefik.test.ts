import { describe, expect, it } from "vitest";
import {
  failsClosedCase,
  KEYWARDS_OWN,
  proxyContractCases,
  useProxiedKeyward,
} from "../helpers/proxies-cases.js";
import { FORWARD_AUTH_OPTIONS, loadTraefikExample, startTraefikReplay } from "../helpers/proxies-traefik.js";

const IDENTITY = ["x-keyward-key-id", "x-keyward-company-id", "x-keyward-scopes", "x-keyward-environment"];
const SECRETS = ["authorization", "x-api-key"];

/**
 * examples/traefik/dynamic.yml. Traefik is not packaged here, so the file is read as Traefik reads it and
 * checked against the options Traefik documents; then the requests Traefik sends (with its X-Forwarded-*
 * set) are replayed against a real Keyward's /authz/forward, router by router, in front of an echo API.
 */
describe("Traefik ForwardAuth with the shipped example", () => {
  const config = loadTraefikExample();
  const { routers, middlewares, services } = config.http;
  const forwardAuth = Object.entries(middlewares).filter(([, m]) => m.forwardAuth);
  const removed = (name: string) =>
    Object.entries(middlewares[name]?.headers?.customRequestHeaders ?? {})
      .filter(([, value]) => value === "")
      .map(([header]) => header.toLowerCase());

  it("uses only the ForwardAuth options Traefik documents, asks /authz/forward and trusts no client X-Forwarded-*", () => {
    expect(forwardAuth.length).toBeGreaterThan(0);
    for (const [, { forwardAuth: auth }] of forwardAuth) {
      for (const option of Object.keys(auth ?? {})) expect(FORWARD_AUTH_OPTIONS).toContain(option);
      const address = new URL(auth?.address ?? "");
      expect(`${address.host}${address.pathname}`).toBe("127.0.0.1:9191/authz/forward");
      expect(auth?.trustForwardHeader).toBe(false);
      expect(auth?.authResponseHeaders?.map((h) => h.toLowerCase())).toEqual(IDENTITY);
    }
    const companies = new URL(middlewares["keyward-companies"]?.forwardAuth?.address ?? "").searchParams;
    expect(Object.fromEntries(companies)).toEqual({
      scopes: "candidates:read",
      company_from: "path:/v1/companies/{company}/**",
    });
  });

  it("strips the key on every router after asking Keyward, and the identity headers where nothing asks", () => {
    for (const [name, router] of Object.entries(routers)) {
      expect(services[router.service], name).toBeDefined();
      for (const m of router.middlewares) expect(middlewares[m], `${name} → ${m}`).toBeDefined();
      const asks = router.middlewares.findIndex((m) => middlewares[m]?.forwardAuth);
      const strips = router.middlewares.findIndex((m) => SECRETS.every((h) => removed(m).includes(h)));
      expect(strips, name).toBeGreaterThan(asks);
      if (asks < 0)
        expect(router.middlewares.some((m) => IDENTITY.every((h) => removed(m).includes(h)))).toBe(true);
    }
  });

  proxyContractCases(useProxiedKeyward(startTraefikReplay), KEYWARDS_OWN);
  failsClosedCase(startTraefikReplay, 500);
});
