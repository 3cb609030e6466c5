import { describe, expect, it } from "vitest";
import { clientAddress } from "../../src/authz/forward/client-address.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { type Cidr, parseCidr } from "../../src/keys/cidr.js";

const cidr = (text: string): Cidr => {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`bad test CIDR ${text}`);
  return parsed;
};
const LOOPBACK = ["127.0.0.1/32", "::1/128"].map(cidr);
const PROXIES = [...LOOPBACK, cidr("10.0.0.0/8")];

describe("clientAddress: the trusted-proxy rules", () => {
  it("takes an untrusted peer as it is, whatever the headers say", () => {
    expect(clientAddress("198.51.100.9", "203.0.113.7", "203.0.113.8", LOOPBACK)).toBe("198.51.100.9");
    expect(clientAddress("::ffff:198.51.100.9", "203.0.113.7", undefined, LOOPBACK)).toBe(
      "::ffff:198.51.100.9",
    );
  });

  it("takes the right-most hop that is not a trusted proxy from a trusted peer", () => {
    expect(clientAddress("127.0.0.1", "1.1.1.1, 203.0.113.7", undefined, LOOPBACK)).toBe("203.0.113.7");
    expect(clientAddress("::1", "1.1.1.1, 203.0.113.7, 10.1.2.3, 127.0.0.1", undefined, PROXIES)).toBe(
      "203.0.113.7",
    );
    expect(clientAddress("::ffff:127.0.0.1", "203.0.113.7", undefined, LOOPBACK)).toBe("203.0.113.7");
  });

  it("drops the port some proxies add to a hop", () => {
    expect(clientAddress("127.0.0.1", "203.0.113.7:5555", undefined, LOOPBACK)).toBe("203.0.113.7");
    expect(clientAddress("127.0.0.1", "[2001:db8::1]:443", undefined, LOOPBACK)).toBe("2001:db8::1");
    expect(clientAddress("127.0.0.1", "2001:db8::1", undefined, LOOPBACK)).toBe("2001:db8::1");
  });

  it("falls back to X-Real-IP, then to the left-most trusted hop, then to the peer", () => {
    expect(clientAddress("127.0.0.1", undefined, " 203.0.113.7 ", LOOPBACK)).toBe("203.0.113.7");
    expect(clientAddress("127.0.0.1", "10.0.0.5, 127.0.0.1", "203.0.113.7", PROXIES)).toBe("203.0.113.7");
    expect(clientAddress("127.0.0.1", "10.0.0.5, 127.0.0.1", undefined, PROXIES)).toBe("10.0.0.5");
    expect(clientAddress("127.0.0.1", undefined, "nonsense", LOOPBACK)).toBe("127.0.0.1");
    expect(clientAddress("127.0.0.1", undefined, "1.1.1.1, 2.2.2.2", LOOPBACK)).toBe("127.0.0.1");
  });

  it("has no address when the hop it must use is not one, or the chain is absurdly long", () => {
    expect(clientAddress("127.0.0.1", "203.0.113.7, unknown", undefined, LOOPBACK)).toBeNull();
    expect(clientAddress("127.0.0.1", "<script>", "203.0.113.7", LOOPBACK)).toBeNull();
    expect(
      clientAddress("127.0.0.1", Array(100).fill("127.0.0.1").join(","), undefined, LOOPBACK),
    ).toBeNull();
    expect(clientAddress(undefined, "203.0.113.7", undefined, LOOPBACK)).toBeNull();
  });

  it("trusts nobody with an empty list", () => {
    expect(clientAddress("127.0.0.1", "203.0.113.7", "203.0.113.8", [])).toBe("127.0.0.1");
  });
});

describe("KEYWARD_TRUSTED_PROXIES", () => {
  it("defaults to loopback, and reads CIDRs, bare addresses or none", () => {
    expect(loadConfig({}).trustedProxies).toEqual(LOOPBACK);
    expect(loadConfig({ KEYWARD_TRUSTED_PROXIES: "10.0.0.0/8, 192.168.1.1" }).trustedProxies).toEqual([
      parseCidr("10.0.0.0/8"),
      parseCidr("192.168.1.1/32"),
    ]);
    expect(loadConfig({ KEYWARD_TRUSTED_PROXIES: "none" }).trustedProxies).toEqual([]);
  });

  it.each(["10.0.0.0/33", "10.0.0.0/8,,", "localhost", "::1/129", "10.0.0.0/8; 1.2.3.4"])(
    "refuses %s in one line naming the setting and the bad entry",
    (value) => {
      expect(() => loadConfig({ KEYWARD_TRUSTED_PROXIES: value })).toThrow(ConfigError);
      expect(() => loadConfig({ KEYWARD_TRUSTED_PROXIES: value })).toThrow(
        /^KEYWARD_TRUSTED_PROXIES must be CIDRs/,
      );
    },
  );
});
