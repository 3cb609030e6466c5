import { isIPv4 } from "node:net";
import { describe, expect, it } from "vitest";
import { cidrContains, parseAddress, parseCidr } from "../../src/keys/cidr.js";
import { seededRandom } from "./support/seeded-random.js";

/** Whether `address` lies in `cidr`, failing loudly when either does not parse. */
function inside(cidr: string, address: string): boolean {
  const block = parseCidr(cidr);
  const bytes = parseAddress(address);
  if (!block) throw new Error(`CIDR did not parse: ${cidr}`);
  if (!bytes) throw new Error(`address did not parse: ${address}`);
  return cidrContains(block, bytes);
}

function hex(bytes: Uint8Array | undefined): string {
  return bytes ? Buffer.from(bytes).toString("hex") : "undefined";
}

describe("parseAddress", () => {
  it("maps IPv4 into ::ffff:0:0/96", () => {
    expect(hex(parseAddress("1.2.3.4"))).toBe("00000000000000000000ffff01020304");
    expect(hex(parseAddress("255.255.255.255"))).toBe("00000000000000000000ffffffffffff");
  });

  it("reads IPv6 in full, compressed and embedded-IPv4 forms", () => {
    expect(hex(parseAddress("2001:db8:0:0:0:0:0:1"))).toBe("20010db8000000000000000000000001");
    expect(hex(parseAddress("2001:db8::1"))).toBe("20010db8000000000000000000000001");
    expect(hex(parseAddress("::"))).toBe("0".repeat(32));
    expect(hex(parseAddress("::1"))).toBe(`${"0".repeat(31)}1`);
    expect(hex(parseAddress("fe80::"))).toBe(`fe80${"0".repeat(28)}`);
    expect(hex(parseAddress("1:2:3:4:5:6:7:8"))).toBe("00010002000300040005000600070008");
    expect(hex(parseAddress("1:2:3:4:5:6:1.2.3.4"))).toBe("00010002000300040005000601020304");
    expect(hex(parseAddress("FFFF::ABCD"))).toBe(`ffff${"0".repeat(24)}abcd`);
  });

  it("reads ::ffff:1.2.3.4 and ::ffff:102:304 as the IPv4 address 1.2.3.4", () => {
    expect(hex(parseAddress("::ffff:1.2.3.4"))).toBe(hex(parseAddress("1.2.3.4")));
    expect(hex(parseAddress("::ffff:102:304"))).toBe(hex(parseAddress("1.2.3.4")));
    expect(hex(parseAddress("0:0:0:0:0:ffff:1.2.3.4"))).toBe(hex(parseAddress("1.2.3.4")));
  });

  it("ignores a zone id", () => {
    expect(hex(parseAddress("fe80::1%eth0"))).toBe(hex(parseAddress("fe80::1")));
    expect(hex(parseAddress("fe80::1%25"))).toBe(hex(parseAddress("fe80::1")));
  });

  it.each([
    "",
    "abc",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    "01.2.3.4",
    "1.2.3.-4",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3.4%eth0",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    ":::",
    "12345::",
    "g::1",
    "::ffff:1.2.3",
    "::ffff:256.1.1.1",
    "[::1]",
    "localhost",
  ])("rejects %j", (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });
});

describe("parseAddress on IPv4", () => {
  /** Strings near the edges of the dotted-quad grammar, and random ones from its alphabet. */
  function candidates(): string[] {
    const parts = [
      "0",
      "00",
      "01",
      "1",
      "9",
      "10",
      "99",
      "100",
      "199",
      "249",
      "250",
      "255",
      "256",
      "300",
      "999",
      "1000",
      "",
      "-1",
      "+1",
      " 1",
      "a",
      "0x1",
    ];
    const out: string[] = [];
    for (const a of parts) for (const b of ["0", "255", "01", ""]) out.push(`${a}.${b}.3.4`, `1.2.${b}.${a}`);
    out.push(
      "1.2.3.4.",
      ".1.2.3.4",
      "1..2.3",
      "1.2.3",
      "1.2.3.4.5",
      "1.2.3.4\n",
      "１.2.3.4",
      "255.255.255.255",
    );
    const r = seededRandom(7);
    const alphabet = [..."0123456789."];
    for (let i = 0; i < 5000; i++) {
      let s = "";
      for (let n = 7 + r.int(10); n > 0; n--) s += r.pick(alphabet);
      out.push(s);
      // Four parts of one to three digits: mostly valid, with leading zeros and values over 255 among them.
      const part = () => String(r.int(10 ** (1 + r.int(3)))).padStart(1 + r.int(2), "0");
      out.push([part(), part(), part(), part()].join("."));
    }
    return out;
  }

  it("accepts exactly what net.isIPv4 accepts, and reads the same four bytes", () => {
    let accepted = 0;
    for (const text of candidates()) {
      const bytes = parseAddress(text);
      expect(bytes !== undefined && !text.includes(":"), text).toBe(isIPv4(text));
      if (!isIPv4(text)) continue;
      accepted++;
      expect(Array.from(bytes?.subarray(12) ?? []), text).toEqual(text.split(".").map(Number));
      expect(hex(bytes?.subarray(0, 12)), text).toBe("00000000000000000000ffff");
    }
    expect(accepted).toBeGreaterThan(300);
  });
});

describe("parseCidr", () => {
  it("reads IPv4 prefixes on the mapped range", () => {
    expect(parseCidr("10.0.0.0/8")?.prefix).toBe(96 + 8);
    expect(parseCidr("0.0.0.0/0")?.prefix).toBe(96);
    expect(parseCidr("1.2.3.4/32")?.prefix).toBe(128);
    expect(parseCidr("1.2.3.4")?.prefix).toBe(128);
  });

  it("reads IPv6 prefixes as written", () => {
    expect(parseCidr("2001:db8::/32")?.prefix).toBe(32);
    expect(parseCidr("::/0")?.prefix).toBe(0);
    expect(parseCidr("::1/128")?.prefix).toBe(128);
    expect(parseCidr("::1")?.prefix).toBe(128);
    expect(parseCidr("::ffff:10.0.0.0/104")?.prefix).toBe(104);
  });

  it.each([
    "10.0.0.0/33",
    "::/129",
    "10.0.0.0/-1",
    "10.0.0.0/08x",
    "10.0.0.0/",
    "10.0.0.0/ 8",
    "10.0.0.0/8/8",
    "10.0.0.0/1000",
    "10.0.0.0/0x8",
    "10.0.0.0/+8",
    "10.0.0.0/8.0",
    "1.2.3/24",
    "abc",
    "abc/8",
    "/8",
    "",
    "::/",
    "2001:db8::/64a",
  ])("rejects %j", (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe("cidrContains", () => {
  it.each([
    ["10.0.0.0/8", "10.0.0.0", true],
    ["10.0.0.0/8", "10.255.255.255", true],
    ["10.0.0.0/8", "9.255.255.255", false],
    ["10.0.0.0/8", "11.0.0.0", false],
    ["192.168.1.0/24", "192.168.1.77", true],
    ["192.168.1.0/24", "192.168.2.1", false],
    ["172.16.0.0/12", "172.31.255.255", true],
    ["172.16.0.0/12", "172.32.0.0", false],
    ["172.16.0.0/12", "172.15.255.255", false],
    ["10.0.0.128/25", "10.0.0.127", false],
    ["10.0.0.128/25", "10.0.0.128", true],
    ["10.0.0.5/31", "10.0.0.4", true],
    ["10.0.0.5/31", "10.0.0.6", false],
    ["1.2.3.4/32", "1.2.3.4", true],
    ["1.2.3.4/32", "1.2.3.5", false],
    ["1.2.3.4", "1.2.3.4", true],
    ["1.2.3.4", "1.2.3.3", false],
    ["0.0.0.0/0", "255.255.255.255", true],
    ["0.0.0.0/0", "0.0.0.0", true],
    ["128.0.0.0/1", "127.255.255.255", false],
    ["128.0.0.0/1", "128.0.0.0", true],
  ])("IPv4 %s contains %s: %s", (cidr, address, expected) => {
    expect(inside(cidr, address)).toBe(expected);
  });

  it.each([
    ["2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true],
    ["2001:db8::/32", "2001:db9::", false],
    ["2001:db8::/32", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false],
    ["2001:db8:abcd::/47", "2001:db8:abcd:1::", true],
    ["2001:db8:abcd::/47", "2001:db8:abce::", false],
    ["2001:db8::1/128", "2001:db8::1", true],
    ["2001:db8::1/128", "2001:db8::2", false],
    ["2001:db8::1", "2001:db8::1", true],
    ["::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true],
    ["::/0", "1.2.3.4", true],
    ["fe80::/10", "fe80::1%eth0", true],
    ["fe80::/10", "febf:ffff::", true],
    ["fe80::/10", "fec0::", false],
    ["::1/128", "::1", true],
    ["::1/128", "::2", false],
  ])("IPv6 %s contains %s: %s", (cidr, address, expected) => {
    expect(inside(cidr, address)).toBe(expected);
  });

  it.each([
    ["10.0.0.0/8", "::ffff:10.1.2.3", true],
    ["10.0.0.0/8", "::ffff:11.1.2.3", false],
    ["10.0.0.0/8", "::ffff:a01:203", true],
    ["1.2.3.4", "::ffff:1.2.3.4", true],
    ["::ffff:1.2.3.0/120", "1.2.3.99", true],
    ["::ffff:1.2.3.0/120", "1.2.4.1", false],
    ["::ffff:0:0/96", "8.8.8.8", true],
  ])("IPv4-mapped: %s contains %s: %s", (cidr, address, expected) => {
    expect(inside(cidr, address)).toBe(expected);
  });

  it("keeps the families apart: 0.0.0.0/0 does not hold IPv6, an IPv4 block does not hold IPv4-compatible ::a.b.c.d", () => {
    expect(inside("0.0.0.0/0", "2001:db8::1")).toBe(false);
    expect(inside("0.0.0.0/0", "::1")).toBe(false);
    expect(inside("10.0.0.0/8", "::10.0.0.1")).toBe(false);
  });

  it("masks host bits written in the CIDR", () => {
    expect(inside("10.1.2.3/8", "10.200.0.1")).toBe(true);
    expect(inside("2001:db8::ffff/32", "2001:db8:1::")).toBe(true);
  });

  it("checks every prefix length exactly at its boundary", () => {
    for (let prefix = 1; prefix <= 32; prefix++) {
      // The block starting at 128.0.0.0 of size 2^(32-prefix): its last address is in, the next one out.
      const start = 0x80000000;
      const last = start + 2 ** (32 - prefix) - 1;
      const block = `${dotted(start)}/${prefix}`;
      expect(inside(block, dotted(last)), `${block} ∋ ${dotted(last)}`).toBe(true);
      if (last + 1 <= 0xffffffff) expect(inside(block, dotted(last + 1)), `${block} ∌ next`).toBe(false);
      expect(inside(block, dotted(start - 1)), `${block} ∌ previous`).toBe(false);
    }
  });
});

function dotted(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
}
