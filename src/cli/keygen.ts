import { loadConfig } from "../config.js";
import { parseDuration } from "../duration.js";
import type { Environment } from "../keys/format.js";
import type { KeySpec } from "../keys/mint.js";
import { keySpecViolations } from "../lifecycle/key-spec.js";
import { createLogger } from "../logger.js";
import { awaitServerHandle, type ServerHandle } from "../store/data-dir.js";
import { embeddedDataDir } from "../store/database-target.js";
import { parseFlags } from "./args.js";
import { announceNewStore } from "./store-notice.js";
import { UsageError } from "./usage-error.js";

export const KEYGEN_HELP = `Usage: keyward keygen --company ID [--scopes "a:read b:*"] [--expire 30s|15m|24h|7d|2w|3mo|1y]
                      [--env live|test] [--name NAME] [--ip-allow CIDR,...] [--admin | --platform-admin]

Creates a key and prints it alone on stdout (details go to stderr), so KEY=$(keyward keygen ...) works.
The key is shown once; only its HMAC is stored.

  --company ID        the company the key belongs to (required)
  --scopes LIST       space-separated scopes: resource:action, resource:* or *
  --expire DURATION   lifetime: s, m, h, d, w, mo (30 days) or y (365 days)
  --env live|test     the key's environment (default live)
  --name NAME         a label for people
  --ip-allow LIST     comma-separated CIDRs the key may be used from
  --admin             also grant keys:admin (manage this company's keys)
  --platform-admin    also grant platform:admin (manage every company's keys)`;

/** Which flag sets each CreateKeyRequest field, so errors name what the user typed. */
const FLAG_OF: Record<string, string> = {
  company_id: "--company",
  name: "--name",
  scopes: "--scopes",
  environment: "--env",
  expire_time: "--expire",
  ip_allowlist: "--ip-allow",
};

/** What keygen tells about the key it made, besides the secret. */
interface MintedKey {
  id: string;
  companyId: string;
  environment: string;
  scopes: string[];
  expireTime: Date | null;
  hint: string;
}

/** `keyward keygen`: straight into the store, or through the running server that holds the data dir. */
export async function keygen(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const flags = parseFlags(args, {
    company: { type: "string" },
    scopes: { type: "string" },
    expire: { type: "string" },
    env: { type: "string" },
    name: { type: "string" },
    "ip-allow": { type: "string" },
    admin: { type: "boolean" },
    "platform-admin": { type: "boolean" },
  });
  if (flags.help) {
    console.log(KEYGEN_HELP);
    return 0;
  }
  if (!flags.company) throw new UsageError("--company is required");
  if (flags.admin && flags["platform-admin"])
    throw new UsageError("use --admin or --platform-admin, not both");
  const config = loadConfig(env);
  const now = Date.now();
  let expireTime: Date | null = null;
  if (flags.expire !== undefined) {
    const ms = parseDuration(flags.expire);
    if (ms === undefined)
      throw new UsageError(
        `--expire "${flags.expire}" is not a duration from 1s to 100y like 30s, 15m, 24h, 7d, 2w, 3mo or 1y`,
      );
    expireTime = new Date(now + ms);
  }
  const scopes = (flags.scopes ?? "").split(/\s+/).filter(Boolean);
  if (flags.admin) scopes.push("keys:admin");
  if (flags["platform-admin"]) scopes.push("platform:admin");
  const spec: KeySpec = {
    companyId: flags.company,
    name: flags.name ?? "",
    scopes: [...new Set(scopes)],
    environment: (flags.env ?? "live") as Environment,
    expireTime,
    ipAllowlist: (flags["ip-allow"] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    metadata: {},
    tags: [],
    rateLimit: null,
  };
  const [violation] = keySpecViolations(spec, now);
  if (violation) {
    const field = violation.field.replace(/\[.*$/, "");
    throw new UsageError(`${FLAG_OF[field] ?? violation.field}: ${violation.description}`);
  }

  const dataDir = embeddedDataDir(config.store);
  const server = dataDir ? await awaitServerHandle(dataDir) : null;
  const { key, secret } = server ? await viaServer(server, spec) : await direct(spec, config);
  console.error(
    describe(key, server ? `through keyward serve (pid ${server.pid})` : "directly in the store"),
  );
  process.stdout.write(`${secret}\n`);
  return 0;
}

async function direct(
  spec: KeySpec,
  config: ReturnType<typeof loadConfig>,
): Promise<{ key: MintedKey; secret: string }> {
  // Loaded here: the store is the slow part of starting the CLI.
  const [{ openStore }, { createKey }] = await Promise.all([
    import("../store/open-store.js"),
    import("../lifecycle/create-key.js"),
  ]);
  const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel, process.stderr);
  const store = await openStore({ target: config.store, peppers: config.peppers, logger });
  announceNewStore(store.database);
  try {
    const deps = { ...store, keyPrefix: config.keyPrefix, now: Date.now };
    return await createKey(deps, { spec, audit: { actor: "cli" } });
  } finally {
    await store.close();
  }
}

async function viaServer(server: ServerHandle, spec: KeySpec): Promise<{ key: MintedKey; secret: string }> {
  const [
    { create },
    { durationFromMs, timestampDate },
    { createClient },
    { createConnectTransport },
    { CreateKeyRequestSchema, KeyAdminService },
  ] = await Promise.all([
    import("@bufbuild/protobuf"),
    import("@bufbuild/protobuf/wkt"),
    import("@connectrpc/connect"),
    import("@connectrpc/connect-node"),
    import("../gen/keyward/admin/v1/key_admin_pb.js"),
  ]);
  const client = createClient(
    KeyAdminService,
    createConnectTransport({ baseUrl: server.adminUrl, httpVersion: "1.1" }),
  );
  const res = await client.createKey(
    create(CreateKeyRequestSchema, {
      companyId: spec.companyId,
      name: spec.name,
      scopes: spec.scopes,
      environment: spec.environment,
      ttl: spec.expireTime ? durationFromMs(spec.expireTime.getTime() - Date.now()) : undefined,
      ipAllowlist: spec.ipAllowlist,
    }),
    { headers: { authorization: `Bearer ${server.token}` } },
  );
  const { key } = res;
  if (!key) throw new Error("the server answered CreateKey without a key");
  const expireTime = key.expireTime ? timestampDate(key.expireTime) : null;
  return { key: { ...key, expireTime }, secret: res.secret };
}

function describe(key: MintedKey, how: string): string {
  // To the second, as the API gives it.
  const expiry = key.expireTime
    ? new Date(Math.floor(key.expireTime.getTime() / 1000) * 1000).toISOString()
    : "never";
  return [
    `created key ${key.id} ${how}`,
    `  company:     ${key.companyId}`,
    `  environment: ${key.environment}`,
    `  scopes:      ${key.scopes.join(" ") || "(none)"}`,
    `  expires:     ${expiry}`,
    `  hint:        ${key.hint}`,
    "the key is printed once on stdout and cannot be shown again",
  ].join("\n");
}
