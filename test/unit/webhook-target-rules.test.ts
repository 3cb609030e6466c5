import { describe, expect, it } from "vitest";
import { checkTargetUrl, isPublicAddress } from "../../src/webhooks/address-rules.js";

describe("webhook target rules", () => {
  it("public addresses pass; private, loopback, link-local, reserved and mapped ones do not", () => {
    for (const ip of ["::ffff:8.8.8.8", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "151.101.1.69"])
      expect(isPublicAddress(ip), ip).toBe(true);
    for (const ip of [
      "127.0.0.1",
      "10.0.0.1",
      "172.16.5.4",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "fe80::1",
      "fd12::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "::ffff:7f00:1",
      "2001:db8::1",
      "not an ip",
    ]) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
  });

  it("https with a public host passes; the rest is refused with a reason", () => {
    expect(checkTargetUrl("https://hooks.example.com/x?y=1", false).ok).toBe(true);
    expect(checkTargetUrl("https://8.8.8.8/x", false).ok).toBe(true);
    for (const url of [
      "http://hooks.example.com/x",
      "ftp://hooks.example.com/x",
      "https://127.0.0.1/x",
      "https://[::1]/x",
      "https://localhost/x",
      "https://api.localhost/x",
      "https://intranet/x",
      "https://u:p@hooks.example.com/x",
      "https://hooks.example.com/x#frag",
      "hooks.example.com/x",
    ]) {
      const verdict = checkTargetUrl(url, false);
      expect(verdict.ok, url).toBe(false);
      if (!verdict.ok) expect(verdict.reason.length).toBeGreaterThan(0);
    }
  });

  it("KEYWARD_WEBHOOK_ALLOW_INSECURE admits http and loopback, never credentials", () => {
    expect(checkTargetUrl("http://127.0.0.1:8080/x", true).ok).toBe(true);
    expect(checkTargetUrl("http://localhost/x", true).ok).toBe(true);
    expect(checkTargetUrl("http://u:p@127.0.0.1/x", true).ok).toBe(false);
    expect(checkTargetUrl("ftp://127.0.0.1/x", true).ok).toBe(false);
  });
});
