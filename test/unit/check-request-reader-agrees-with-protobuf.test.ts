import { create, type DescMessage, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { readCheckRequest } from "../../src/authz/check-request-reader.js";
import type { CheckRequestView } from "../../src/authz/check-request-view.js";
import { keptExtensions } from "../../src/authz/context-extensions.js";
import type { AddressSchema } from "../../src/gen/envoy/config/core/v3/address_pb.js";
import {
  type CheckRequest,
  CheckRequestSchema,
} from "../../src/gen/envoy/service/auth/v3/external_auth_pb.js";
import { type SeededRandom, seededRandom } from "./support/seeded-random.js";

/**
 * The Check path reads CheckRequests with its own wire reader; these tests hold it to what the generated
 * protobuf-es decoder makes of the same bytes, on generated messages, on concatenations (which protobuf
 * merges) and on corrupted bytes.
 */

/** Header names every comparison looks up, present or not. */
const PROBES = ["authorization", "x-api-key", "x-keyward-company", "x-org", "Authorization", "", "host"];

/** What the decision reads of a request, from either decoder. */
interface Projection {
  hasAttributes: boolean;
  hasHttp: boolean;
  method: string;
  path: string;
  sourceAddress: string | null;
  contextExtensions: [string, string][];
  headerMap: [string, string, string][];
  headers: [string, string | undefined][];
}

function fromView(v: CheckRequestView, names: readonly string[]): Projection {
  return {
    hasAttributes: v.hasAttributes,
    hasHttp: v.hasHttp,
    method: v.method,
    path: v.path,
    sourceAddress: v.sourceAddress,
    contextExtensions: [...v.contextExtensions].sort(byKey),
    headerMap: v.headerMap.map((h) => [h.key, h.value, Buffer.from(h.rawValue).toString("hex")]),
    headers: names.map((n) => [n, v.header(n)]),
  };
}

function fromMessage(m: CheckRequest, names: readonly string[]): Projection {
  const http = m.attributes?.request?.http;
  const address = m.attributes?.source?.address?.address;
  const headers = http?.headers ?? {};
  return {
    hasAttributes: m.attributes !== undefined,
    hasHttp: http !== undefined,
    method: http?.method ?? "",
    path: http?.path ?? "",
    sourceAddress: address?.case === "socketAddress" ? address.value.address : null,
    contextExtensions: Object.entries(m.attributes?.contextExtensions ?? {}).sort(byKey),
    headerMap: (http?.headerMap?.headers ?? []).map((h) => [
      h.key,
      h.value,
      Buffer.from(h.rawValue).toString("hex"),
    ]),
    headers: names.map((n) => [n, Object.hasOwn(headers, n) ? headers[n] : undefined]),
  };
}

function byKey(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** Both decoders' reading of `bytes`: undefined where one refuses them. */
function both(bytes: Buffer, names: readonly string[] = PROBES) {
  let message: CheckRequest | undefined;
  try {
    message = fromBinary(CheckRequestSchema, bytes);
  } catch {
    message = undefined;
  }
  const view = readCheckRequest(bytes);
  const extra = message ? Object.keys(message.attributes?.request?.http?.headers ?? {}) : [];
  const all = [...names, ...extra];
  return {
    reference: message ? fromMessage(message, all) : undefined,
    reader: view ? fromView(view, all) : undefined,
  };
}

const TEXTS = [
  "",
  "acme",
  "Bearer sk_test_abc",
  "ünïcødé",
  "\uFEFFauthorization",
  "\uFEFF",
  "日本語",
  "a,b",
  " padded ",
  "x".repeat(200),
  "emoji 🎉",
  "\u0000nul",
];
const NAMES = ["authorization", "x-api-key", "x-keyward-company", "x-org", "host", "cookie", "Authorization"];

function text(r: SeededRandom): string {
  return r.chance(0.5) ? r.pick(NAMES) : r.pick(TEXTS);
}

function map(r: SeededRandom, max: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let n = r.int(max); n > 0; n--) out[text(r)] = text(r);
  return out;
}

/** A CheckRequest with any of the fields Envoy fills, and some it rarely does. */
function message(r: SeededRandom): CheckRequest {
  if (r.chance(0.03)) return create(CheckRequestSchema, {});
  const addressCases: MessageInitShape<typeof AddressSchema>["address"][] = [
    undefined,
    {
      case: "socketAddress" as const,
      value: {
        address: r.pick(["203.0.113.7", "::1", "", "ünï"]),
        portSpecifier: { case: "portValue" as const, value: r.int(65536) },
      },
    },
    { case: "pipe" as const, value: { path: "/run/envoy.sock", mode: 0o600 } },
    { case: "envoyInternalAddress" as const, value: {} },
  ];
  const addressCase = r.pick(addressCases);
  return create(CheckRequestSchema, {
    attributes: {
      source: r.chance(0.9)
        ? {
            address: addressCase ? { address: addressCase } : undefined,
            principal: text(r),
            labels: map(r, 3),
          }
        : undefined,
      destination: r.chance(0.7)
        ? {
            service: text(r),
            address: { address: { case: "socketAddress", value: { address: "10.0.0.2" } } },
          }
        : undefined,
      request: r.chance(0.95)
        ? {
            time: r.chance(0.5) ? { seconds: BigInt(r.int(2 ** 31)), nanos: r.int(1e9) } : undefined,
            http: r.chance(0.93)
              ? {
                  id: text(r),
                  method: r.pick([
                    "GET",
                    "POST",
                    "DELETE",
                    "OPTIONS",
                    "GETS",
                    "GE",
                    "get",
                    "PROPFIND",
                    "",
                    "ÜBER",
                  ]),
                  path: r.pick(["/", "/v1/companies/acme/jobs?x=1", "/ünï", ""]),
                  host: text(r),
                  scheme: "https",
                  query: text(r),
                  fragment: text(r),
                  size: BigInt(r.int(1e6)),
                  protocol: "HTTP/2",
                  body: r.chance(0.2) ? text(r) : "",
                  rawBody: r.chance(0.2) ? new Uint8Array([0xff, 0x00, 0xc3]) : new Uint8Array(0),
                  headers: map(r, 8),
                  headerMap: r.chance(0.3)
                    ? {
                        headers: Array.from({ length: r.int(4) }, () => ({
                          key: text(r),
                          value: r.chance(0.5) ? text(r) : "",
                          rawValue: r.chance(0.5) ? Buffer.from(text(r)) : new Uint8Array([0xff, 0xfe]),
                        })),
                      }
                    : undefined,
                }
              : undefined,
          }
        : undefined,
      contextExtensions: map(r, 4),
      metadataContext: r.chance(0.3)
        ? {
            filterMetadata: {
              "envoy.filters": { fields: { k: { kind: { case: "stringValue", value: text(r) } } } },
            },
          }
        : undefined,
      tlsSession: r.chance(0.2) ? { sni: text(r) } : undefined,
    },
  });
}

function encode(m: CheckRequest): Buffer {
  return Buffer.from(toBinary(CheckRequestSchema, m));
}

describe("readCheckRequest agrees with a full protobuf decode", () => {
  it("on generated messages", () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const { reference, reader } = both(encode(message(seededRandom(seed))));
      expect(reference, `seed ${seed}`).toBeDefined();
      expect(reader, `seed ${seed}`).toEqual(reference);
    }
  });

  it("on concatenated messages, which protobuf merges: later scalars win, maps and lists accumulate, oneofs switch", () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const r = seededRandom(seed * 7919);
      const parts = Array.from({ length: 2 + r.int(2) }, () => encode(message(r)));
      const { reference, reader } = both(Buffer.concat(parts));
      expect(reference, `seed ${seed}`).toBeDefined();
      expect(reader, `seed ${seed}`).toEqual(reference);
    }
  });

  it("on corrupted bytes: whenever both decoders read them, they read the same", () => {
    let bothRead = 0;
    let neither = 0;
    let overruns = 0;
    for (let seed = 1; seed <= 6000; seed++) {
      const r = seededRandom(seed * 104729);
      const bytes = encode(message(r));
      if (bytes.length === 0) continue;
      const corrupt = Buffer.from(bytes);
      const kind = r.int(4);
      if (kind === 0) corrupt[r.int(corrupt.length)] = r.int(256);
      else if (kind === 1) {
        const at = r.int(corrupt.length);
        corrupt[at] = (corrupt[at] as number) ^ (1 << r.int(8));
      }
      const cut = kind === 2 ? corrupt.subarray(0, r.int(corrupt.length)) : corrupt;
      const input = kind === 3 ? Buffer.concat([corrupt, Buffer.from([r.int(256), r.int(256)])]) : cut;
      const { reference, reader } = both(input);
      // protobuf-es lets a nested message run past the end of the one holding it, reading its parent's
      // later fields as its own; the wire format forbids it. The reader refuses that where it reads and skips
      // whole subtrees elsewhere, so on such bytes the two may differ.
      if (reference && !nestedLengthsFit(input, CheckRequestSchema)) {
        overruns++;
        continue;
      }
      if (reference && reader) {
        bothRead++;
        expect(reader, `seed ${seed}`).toEqual(reference);
      } else if (!reference && !reader) {
        neither++;
      }
    }
    // The corruption must exercise both outcomes, or the test proves nothing.
    expect(bothRead).toBeGreaterThan(1000);
    expect(neither).toBeGreaterThan(500);
    expect(overruns).toBeLessThan(bothRead / 4);
  });
});

/**
 * Whether every length-delimited message in `bytes` ends within the message that holds it, walking the
 * schema's message fields (lists and map values included) at any depth.
 */
function nestedLengthsFit(bytes: Uint8Array, schema: DescMessage): boolean {
  const reader = new BinaryReader(bytes);
  const walk = (desc: DescMessage, end: number): boolean => {
    while (reader.pos < end) {
      const [no, wireType] = reader.tag();
      const field = desc.fields.find((f) => f.number === no);
      const nested =
        field?.fieldKind === "message"
          ? field.message
          : field?.fieldKind === "list" && field.listKind === "message"
            ? field.message
            : undefined;
      if (wireType !== WireType.LengthDelimited || (!nested && field?.fieldKind !== "map")) {
        reader.skip(wireType, no);
        if (reader.pos > end) return false;
        continue;
      }
      const fieldEnd = reader.uint32() + reader.pos;
      if (fieldEnd > end) return false;
      if (nested && !walk(nested, fieldEnd)) return false;
      if (field?.fieldKind === "map" && field.mapKind === "message") {
        while (reader.pos < fieldEnd) {
          const [entryNo, entryType] = reader.tag();
          if (entryNo === 2 && entryType === WireType.LengthDelimited) {
            const valueEnd = reader.uint32() + reader.pos;
            if (valueEnd > fieldEnd || !walk(field.message, valueEnd)) return false;
          } else {
            reader.skip(entryType, entryNo);
          }
        }
      }
      reader.pos = fieldEnd;
    }
    return reader.pos === end;
  };
  try {
    return walk(schema, bytes.length);
  } catch {
    return false;
  }
}

describe("readCheckRequest refuses", () => {
  const valid = encode(
    create(CheckRequestSchema, {
      attributes: { request: { http: { path: "/", headers: { authorization: "Bearer x" } } } },
    }),
  );

  it.each([
    ["a truncated message", valid.subarray(0, valid.length - 1)],
    ["a length past the end", Buffer.from([0x0a, 0x05, 0x00])],
    ["a nested length past its parent", Buffer.from([0x0a, 0x02, 0x22, 0x05, 0x12, 0x00, 0x00, 0x00, 0x00])],
    ["field number zero", Buffer.from([0x00, 0x00])],
    ["wire type 6", Buffer.from([0x0e])],
    ["a group", Buffer.from([0x0b, 0x0c])],
    ["a varint over ten bytes", Buffer.from([0x10, ...Array(11).fill(0xff), 0x01])],
    ["a length over 32 bits", Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x1f])],
    ["a length whose fifth byte continues", Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])],
    ["a tag over 32 bits", Buffer.from([0xfa, 0xff, 0xff, 0xff, 0x1f, 0x00])],
    ["attributes sent as a varint", Buffer.from([0x08, 0x01])],
    ["invalid UTF-8 in the path", httpWith(0x22, Buffer.from([0xc3, 0x28]))],
    [
      "invalid UTF-8 in a header value",
      httpWith(0x1a, mapEntry(Buffer.from("authorization"), Buffer.from([0xff]))),
    ],
    ["invalid UTF-8 in a header name", httpWith(0x1a, mapEntry(Buffer.from([0xc0, 0xaf]), Buffer.from("v")))],
    ["invalid UTF-8 in the host, which nothing reads", httpWith(0x2a, Buffer.from([0xed, 0xa0, 0x80]))],
    ["invalid UTF-8 in the request id, which nothing reads", httpWith(0x0a, Buffer.from([0x47, 0xc3]))],
    ["invalid UTF-8 in the method", httpWith(0x12, Buffer.from([0x47, 0x45, 0xd4]))],
    [
      "an unknown field inside a header entry",
      httpWith(0x1a, Buffer.from([0x0a, 0x01, 0x61, 0x1a, 0x01, 0x62])),
    ],
    ["a header entry field sent as a varint", httpWith(0x1a, Buffer.from([0x08, 0x01]))],
  ])("%s", (_name, bytes) => {
    expect(readCheckRequest(bytes)).toBeUndefined();
  });

  it("reads five-byte varints as protobuf does: the largest field number, a padded length", () => {
    const path = httpWith(0x22, Buffer.from("/v1/x"));
    // Field 536,870,911 (the largest), length-delimited, empty: its tag is 0xfffffffa in five bytes.
    const largestField = Buffer.from([0xfa, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    // The attributes again, their length padded to five bytes with continuation bits.
    const attributes = path.subarray(2);
    const padded = Buffer.from([0x0a, 0x80 | attributes.length, 0x80, 0x80, 0x80, 0x00]);
    const bytes = Buffer.concat([largestField, padded, attributes]);
    expect(readCheckRequest(bytes)?.path).toBe("/v1/x");
    const { reference, reader } = both(bytes);
    expect(reader).toEqual(reference);
  });

  it("reads an empty message as a request with no attributes", () => {
    const view = readCheckRequest(Buffer.alloc(0));
    expect(view?.hasAttributes).toBe(false);
    expect(view?.hasHttp).toBe(false);
  });

  it("reads a message of 100,000 headers, the last of a repeated name winning", () => {
    const entries = Array.from({ length: 100_000 }, (_, i) =>
      httpField(0x1a, mapEntry(Buffer.from(i % 2 ? "x-filler" : "authorization"), Buffer.from(`v${i}`))),
    );
    const view = readCheckRequest(attributesWith(0x22, lengthPrefixed(0x12, Buffer.concat(entries))));
    expect(view?.header("authorization")).toBe("v99998");
    expect(view?.header("x-filler")).toBe("v99999");
  });
});

describe("readCheckRequest's context extensions", () => {
  /** A CheckRequest whose attributes hold these fields, in order: extension entries and anything else. */
  const attributes = (...fields: Buffer[]) => lengthPrefixed(0x0a, Buffer.concat(fields));
  const extension = (key: string, value: string | Buffer) =>
    lengthPrefixed(0x52, mapEntry(Buffer.from(key), Buffer.isBuffer(value) ? value : Buffer.from(value)));
  const source = lengthPrefixed(
    0x0a,
    lengthPrefixed(0x0a, lengthPrefixed(0x0a, lengthPrefixed(0x12, Buffer.from("10.1.2.3")))),
  );

  it("reads the same bytes to the same map, and other bytes to their own", () => {
    const route = attributes(extension("scopes", "a:read"), extension("company_from", "header:x-org"));
    const first = readCheckRequest(route)?.contextExtensions;
    const again = readCheckRequest(Buffer.from(route))?.contextExtensions;
    expect(first).toBe(again);
    const other = readCheckRequest(attributes(extension("scopes", "a:write")))?.contextExtensions;
    expect([...(other ?? [])]).toEqual([["scopes", "a:write"]]);
    expect([...(first ?? [])]).toEqual([
      ["scopes", "a:read"],
      ["company_from", "header:x-org"],
    ]);
  });

  it("reads entries split by other fields as protobuf does, the later key winning", () => {
    // The first entry alone, read before: what is kept for it must not answer for the whole set.
    const alone = readCheckRequest(attributes(extension("scopes", "a:read")))?.contextExtensions;
    expect([...(alone ?? [])]).toEqual([["scopes", "a:read"]]);
    const bytes = attributes(
      extension("scopes", "a:read"),
      source,
      extension("b", "1"),
      extension("scopes", "z"),
    );
    const { reference, reader } = both(bytes);
    expect(reader).toEqual(reference);
    expect(reader?.contextExtensions).toEqual([
      ["b", "1"],
      ["scopes", "z"],
    ]);
    expect(reader?.sourceAddress).toBe("10.1.2.3");
  });

  it("refuses invalid UTF-8 in an extension every time it is sent, not only the first", () => {
    const bytes = attributes(extension("scopes", Buffer.from([0x61, 0xff])));
    expect(readCheckRequest(bytes)).toBeUndefined();
    expect(readCheckRequest(bytes)).toBeUndefined();
  });

  it("keeps a set's bytes apart from the request that carried them", () => {
    const route = attributes(extension("scopes", "copy:read"));
    const first = readCheckRequest(route)?.contextExtensions;
    route.fill(0);
    const again = readCheckRequest(attributes(extension("scopes", "copy:read")))?.contextExtensions;
    expect(again).toBe(first);
    expect(again?.get("scopes")).toBe("copy:read");
  });

  it("reads sets too large to keep, and more sets than are kept, right every time", () => {
    const large = attributes(extension("scopes", "s:read ".repeat(1000)));
    expect(readCheckRequest(large)?.contextExtensions.get("scopes")).toHaveLength(7000);
    expect(readCheckRequest(large)?.contextExtensions).not.toBe(readCheckRequest(large)?.contextExtensions);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 600; i++) {
        const read = readCheckRequest(attributes(extension("scopes", `s${i}:read`)));
        expect([...(read?.contextExtensions ?? [])]).toEqual([["scopes", `s${i}:read`]]);
      }
    }
    expect(keptExtensions.size).toBeLessThanOrEqual(keptExtensions.limit);
  });
});

/** A CheckRequest whose HttpRequest holds one field, given by its tag byte and payload. */
function httpWith(tag: number, payload: Buffer): Buffer {
  return attributesWith(0x22, lengthPrefixed(0x12, httpField(tag, payload)));
}

function httpField(tag: number, payload: Buffer): Buffer {
  return lengthPrefixed(tag, payload);
}

function attributesWith(tag: number, payload: Buffer): Buffer {
  return lengthPrefixed(0x0a, lengthPrefixed(tag, payload));
}

function mapEntry(key: Buffer, value: Buffer): Buffer {
  return Buffer.concat([lengthPrefixed(0x0a, key), lengthPrefixed(0x12, value)]);
}

function lengthPrefixed(tag: number, payload: Buffer): Buffer {
  const length: number[] = [];
  let n = payload.length;
  while (n >= 0x80) {
    length.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  length.push(n);
  return Buffer.concat([Buffer.from([tag, ...length]), payload]);
}
