import { describe } from "vitest";
import { startCaddy } from "../helpers/proxies-caddy.js";
import {
  failsClosedCase,
  KEYWARDS_OWN,
  proxyContractCases,
  useProxiedKeyward,
} from "../helpers/proxies-cases.js";

/**
 * Debian's Caddy running examples/caddy/Caddyfile as shipped (only its ports changed), in front of an echo
 * API, asking a real Keyward on /authz/forward. forward_auth sends Keyward's denials back as they are.
 */
describe("Caddy forward_auth with the shipped example", () => {
  proxyContractCases(useProxiedKeyward(startCaddy), KEYWARDS_OWN);
  failsClosedCase(startCaddy, 502);
});
