import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { companyFromPath, parseRouteSettings } from "../../src/authz/route-settings.js";
import { ROOT } from "../helpers/cli.js";
import { EnvoyClient } from "../helpers/envoy-client.js";
import { startTestApp, type TestApp } from "../helpers/test-app.js";

// No Envoy binary runs here, so the example is checked three ways: field by field against Envoy's own
// protos (shipped in @grpc/grpc-js-xds), setting by setting against what the docs promise, and route by
// route against a real Keyward answering the Checks Envoy would send.

type Yaml = string | number | boolean | Yaml[] | { [key: string]: Yaml };
type Node = { [key: string]: Yaml };

/**
 * A reader for the YAML subset the example is written in: block mappings and sequences, `{ k: v }` and
 * `[a, b]` on one line, quoted and plain scalars, comments. Anything else fails the test loudly.
 */
const KEY = /^("[^"]*"|[\w@./-]+):(?:\s+(.*))?$/;

function parseYaml(text: string): Yaml {
  const rows = text
    .split("\n")
    .map((raw) => raw.replace(/(^|\s)#(?=(?:[^"]*"[^"]*")*[^"]*$).*$/, "").trimEnd())
    .filter((line) => line.trim() !== "")
    .map((line) => ({ indent: line.length - line.trimStart().length, text: line.trim() }));
  let at = 0;
  const block = (indent: number): Yaml => {
    const isSeq = rows[at]?.text.startsWith("- ") ?? false;
    const out: Yaml[] | Node = isSeq ? [] : {};
    while (at < rows.length && (rows[at] as { indent: number }).indent === indent) {
      const row = rows[at] as { indent: number; text: string };
      if (isSeq !== row.text.startsWith("- ")) throw new Error(`mixed block at line "${row.text}"`);
      if (isSeq) {
        // "- key: value" opens a mapping whose other keys sit two columns further in.
        row.indent += 2;
        row.text = row.text.slice(2);
        if (KEY.test(row.text)) {
          (out as Yaml[]).push(block(row.indent));
        } else {
          (out as Yaml[]).push(scalar(row.text));
          at++;
        }
        continue;
      }
      const match = KEY.exec(row.text);
      if (!match) throw new Error(`cannot read "${row.text}"`);
      const key = (match[1] as string).replace(/^"|"$/g, "");
      at++;
      if (match[2] !== undefined) {
        (out as Node)[key] = scalar(match[2]);
      } else {
        const next = rows[at]?.indent ?? -1;
        if (next <= indent) throw new Error(`"${key}" has no value`);
        (out as Node)[key] = block(next);
      }
    }
    return out;
  };
  const result = block(0);
  if (at !== rows.length) throw new Error(`unread YAML from "${rows[at]?.text}"`);
  return result;
}

function scalar(text: string): Yaml {
  if (text.startsWith('"')) return JSON.parse(text) as string;
  if (text.startsWith("{") || text.startsWith("[")) {
    const inner = text.slice(1, -1).trim();
    const parts = inner === "" ? [] : inner.split(",").map((p) => p.trim());
    if (text.startsWith("[")) return parts.map(scalar);
    return Object.fromEntries(
      parts.map((p) => [p.slice(0, p.indexOf(":")), scalar(p.slice(p.indexOf(":") + 1).trim())]),
    );
  }
  if (text === "true" || text === "false") return text === "true";
  if (/^-?\d+$/.test(text)) return Number(text);
  return text;
}

// The protobufjs that @grpc/proto-loader uses, loading Envoy's definitions of everything the example names.
const require = createRequire(import.meta.url);
const protobuf = createRequire(require.resolve("@grpc/proto-loader"))(
  "protobufjs",
) as typeof import("protobufjs");
const DEPS = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
const PROTO_DIRS = [
  ...["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(DEPS, d)),
  dirname(
    require.resolve("protobufjs/package.json", { paths: [dirname(require.resolve("@grpc/proto-loader"))] }),
  ),
];

function envoyProtos(): import("protobufjs").Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of PROTO_DIRS) {
      try {
        readFileSync(join(dir, target));
        return join(dir, target);
      } catch {}
    }
    return target;
  };
  root.loadSync(
    [
      "envoy/config/bootstrap/v3/bootstrap.proto",
      "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
      "envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto",
      "envoy/extensions/filters/http/router/v3/router.proto",
      "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
    ],
    { keepCase: true },
  );
  root.resolveAll();
  return root;
}

/** Well-known types written as JSON scalars (`0.25s`, `true`, numbers). */
const SCALAR_MESSAGES = new Set([
  ".google.protobuf.Duration",
  ".google.protobuf.BoolValue",
  ".google.protobuf.UInt32Value",
]);

/** Every field name, enum value and `@type` the example uses that Envoy's protos do not define. */
function schemaProblems(
  root: import("protobufjs").Root,
  type: import("protobufjs").Type,
  value: Yaml,
  path: string,
): string[] {
  if (typeof value !== "object" || Array.isArray(value))
    return [`${path}: ${type.fullName} must be a mapping`];
  if (type.fullName === ".google.protobuf.Any") {
    const { "@type": url, ...rest } = value;
    const name = String(url).replace("type.googleapis.com/", "");
    return schemaProblems(root, root.lookupType(name), rest, `${path}<${name}>`);
  }
  const problems: string[] = [];
  for (const [name, v] of Object.entries(value)) {
    const field = type.fields[name];
    if (!field) {
      problems.push(`${path}.${name}: ${type.fullName} has no such field`);
      continue;
    }
    if (field.options?.deprecated) problems.push(`${path}.${name}: deprecated`);
    const one = (item: Yaml, at: string): string[] => {
      const t = field.resolvedType;
      if (t instanceof protobuf.Enum)
        return typeof item === "string" && item in t.values ? [] : [`${at}: ${item} is no ${t.fullName}`];
      if (t instanceof protobuf.Type && !SCALAR_MESSAGES.has(t.fullName))
        return schemaProblems(root, t, item, at);
      return typeof item === "object" ? [`${at}: must be a scalar`] : [];
    };
    if (field.map) {
      for (const [k, item] of Object.entries(v as Node)) problems.push(...one(item, `${path}.${name}[${k}]`));
    } else if (field.repeated) {
      for (const [i, item] of (v as Yaml[]).entries()) problems.push(...one(item, `${path}.${name}[${i}]`));
    } else {
      problems.push(...one(v, `${path}.${name}`));
    }
  }
  return problems;
}

const text = readFileSync(join(ROOT, "examples/envoy/envoy.yaml"), "utf8");
const config = parseYaml(text) as Node;
const get = (node: Yaml | undefined, ...path: (string | number)[]): Yaml | undefined =>
  path.reduce<Yaml | undefined>((n, p) => (n as Record<string | number, Yaml> | undefined)?.[p], node);

const listener = get(config, "static_resources", "listeners", 0) as Node;
const manager = get(listener, "filter_chains", 0, "filters", 0, "typed_config") as Node;
const httpFilters = manager.http_filters as Node[];
const extAuthz = httpFilters.find((f) => f.name === "envoy.filters.http.ext_authz") as Node;
const routes = get(manager, "route_config", "virtual_hosts", 0, "routes") as Node[];
const clusters = get(config, "static_resources", "clusters") as Node[];
const route = (name: string) => routes.find((r) => r.name === name) as Node;
const extensions = (r: Node) =>
  get(r, "typed_per_filter_config", "envoy.filters.http.ext_authz", "check_settings", "context_extensions") as
    | Record<string, string>
    | undefined;

describe("examples/envoy/envoy.yaml", () => {
  it("uses only fields, enum values and types Envoy's v3 protos define", () => {
    const root = envoyProtos();
    expect(schemaProblems(root, root.lookupType("envoy.config.bootstrap.v3.Bootstrap"), config, "")).toEqual(
      [],
    );
  });

  it("listens on 0.0.0.0:10000 with the HTTP connection manager", () => {
    expect(get(listener, "address", "socket_address")).toEqual({ address: "0.0.0.0", port_value: 10000 });
    expect(get(listener, "filter_chains", 0, "filters", 0, "name")).toBe(
      "envoy.filters.network.http_connection_manager",
    );
    expect(manager["@type"]).toMatch(/http_connection_manager\.v3\.HttpConnectionManager$/);
  });

  it("asks Keyward over gRPC, V3, failing closed within 0.25 s, with no certificate or body", () => {
    expect(httpFilters.map((f) => f.name)).toEqual([
      "envoy.filters.http.ext_authz",
      "envoy.filters.http.router",
    ]);
    const authz = extAuthz.typed_config as Node;
    expect(authz["@type"]).toBe("type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz");
    expect(authz.transport_api_version).toBe("V3");
    expect(authz.failure_mode_allow).toBe(false);
    expect(authz.include_peer_certificate).toBe(false);
    expect(authz).not.toHaveProperty("with_request_body");
    expect(text).not.toMatch(/^\s*with_request_body:/m);
    expect(get(authz, "grpc_service", "envoy_grpc", "cluster_name")).toBe("keyward");
    expect(get(authz, "grpc_service", "timeout")).toBe("0.25s");
  });

  it("reaches Keyward's authz listener over HTTP/2, health-checking the Check service", () => {
    const keyward = clusters.find((c) => c.name === "keyward") as Node;
    const options = get(
      keyward,
      "typed_extension_protocol_options",
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
    );
    expect(get(options, "explicit_http_config", "http2_protocol_options")).toEqual({});
    expect(
      get(
        keyward,
        "load_assignment",
        "endpoints",
        0,
        "lb_endpoints",
        0,
        "endpoint",
        "address",
        "socket_address",
      ),
    ).toEqual({
      address: "127.0.0.1",
      port_value: 9191,
    });
    expect(get(keyward, "health_checks", 0, "grpc_health_check", "service_name")).toBe(
      "envoy.service.auth.v3.Authorization",
    );
    for (const r of routes) {
      const cluster = get(r, "route", "cluster");
      expect(clusters.map((c) => c.name)).toContain(cluster);
      expect(cluster).not.toBe("keyward");
    }
  });

  it("gives routes context_extensions Keyward can parse", () => {
    const withSettings = routes.filter((r) => extensions(r));
    expect(withSettings.map((r) => r.name)).toEqual(["candidates", "admin-reports"]);
    for (const r of withSettings) {
      const ext = extensions(r) as Record<string, string>;
      for (const name of Object.keys(ext)) expect(["scopes", "company_from", "environment"]).toContain(name);
      const parsed = parseRouteSettings(ext.scopes ?? "", ext.company_from ?? "", ext.environment ?? "");
      expect(parsed, String(r.name)).not.toHaveProperty("error");
    }
    expect(extensions(route("candidates"))).toEqual({
      scopes: "candidates:read",
      company_from: "path:/v1/companies/{company}/**",
    });
    expect(extensions(route("admin-reports"))).toEqual({ scopes: "reports:read", environment: "live" });
  });

  it("routes to the candidates settings exactly the paths their company template reads", () => {
    const regex = new RegExp(String(get(route("candidates"), "match", "safe_regex", "regex")));
    const parsed = parseRouteSettings("", extensions(route("candidates"))?.company_from ?? "", "");
    if ("error" in parsed || parsed.companyFrom?.kind !== "path") throw new Error("template did not parse");
    const template = parsed.companyFrom.template;
    for (const path of ["/v1/companies/acme/candidates", "/v1/companies/acme/candidates/c_42"]) {
      expect(regex.test(path)).toBe(true);
      expect(companyFromPath(template, path)).toBe("acme");
    }
    expect(regex.test("/v1/companies/acme/invoices")).toBe(false);
  });

  it("turns the check off only on the health route, which drops client-sent identity headers", () => {
    const off = routes.filter(
      (r) => get(r, "typed_per_filter_config", "envoy.filters.http.ext_authz", "disabled") === true,
    );
    expect(off.map((r) => r.name)).toEqual(["health"]);
    expect(get(route("health"), "request_headers_to_remove")).toEqual([
      "x-keyward-key-id",
      "x-keyward-company-id",
      "x-keyward-scopes",
      "x-keyward-environment",
    ]);
  });
});

describe("the example's routes, answered by a real Keyward", () => {
  let t: TestApp;
  let envoy: EnvoyClient;
  beforeAll(async () => {
    t = await startTestApp();
    envoy = new EnvoyClient(t.authzAddress);
  });
  afterAll(async () => {
    envoy.close();
    await t.close();
  });

  async function check(routeName: string, path: string, secret: string): Promise<number> {
    const res = await envoy.check({
      path,
      headers: { authorization: `Bearer ${secret}` },
      contextExtensions: extensions(route(routeName)) ?? {},
    });
    return res.status.code;
  }

  it("candidates: the scope and the company in the path both count", async () => {
    const reader = await t.mintKey({ companyId: "acme", scopes: ["candidates:read"] });
    const other = await t.mintKey({ companyId: "acme", scopes: ["reports:read"] });
    expect(await check("candidates", "/v1/companies/acme/candidates", reader.secret)).toBe(0);
    expect(await check("candidates", "/v1/companies/globex/candidates", reader.secret)).toBe(7);
    expect(await check("candidates", "/v1/companies/acme/candidates", other.secret)).toBe(7);
  });

  it("admin-reports: live keys with reports:read only", async () => {
    const live = await t.mintKey({ companyId: "acme", scopes: ["reports:read"] });
    const test = await t.mintKey({ companyId: "acme", scopes: ["reports:read"], environment: "test" });
    expect(await check("admin-reports", "/admin-reports/2024", live.secret)).toBe(0);
    expect(await check("admin-reports", "/admin-reports/2024", test.secret)).toBe(7);
    expect(await check("admin-reports", "/admin-reports/2024", "sk_live_not-a-key")).toBe(16);
  });
});
