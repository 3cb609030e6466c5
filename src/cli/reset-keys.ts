import { create } from "@bufbuild/protobuf";
import { loadConfig } from "../config.js";
import { LIMITS } from "../keys/validation.js";
import { createLogger } from "../logger.js";
import { awaitServerHandle, type ServerHandle } from "../store/data-dir.js";
import { embeddedDataDir } from "../store/database-target.js";
import { parseFlags } from "./args.js";
import { UsageError } from "./usage-error.js";

export const RESET_KEYS_HELP = `Usage: keyward reset-keys --reason TEXT [--company ID] --yes

Revokes every key of one company, or of every company without --company, in one transaction with an audit
event per key. Revoked keys stop working at once on every replica; this cannot be undone.

  --reason TEXT   why (required; recorded with every revocation)
  --company ID    only this company's keys
  --yes           confirm: without it nothing is revoked`;

/** `keyward reset-keys`: the panic button, straight into the store or through the server holding the data dir. */
export async function resetKeys(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const flags = parseFlags(args, {
    reason: { type: "string" },
    company: { type: "string" },
    yes: { type: "boolean" },
  });
  if (flags.help) {
    console.log(RESET_KEYS_HELP);
    return 0;
  }
  const reason = (flags.reason ?? "").trim();
  if (!reason) throw new UsageError("--reason is required");
  if (reason.length > LIMITS.reason)
    throw new UsageError(`--reason must be at most ${LIMITS.reason} characters`);
  if (flags.company === "") throw new UsageError("--company needs a company id");
  const scope = flags.company ? `every key of company "${flags.company}"` : "every key of every company";
  if (!flags.yes) throw new UsageError(`this revokes ${scope}; add --yes to do it`);
  const companyId = flags.company ?? null;
  const config = loadConfig(env);
  const dataDir = embeddedDataDir(config.store);
  const server = dataDir ? await awaitServerHandle(dataDir) : null;
  const revoked = server
    ? await viaServer(server, companyId, reason)
    : await direct(companyId, reason, config);
  const how = server ? `through keyward serve (pid ${server.pid})` : "directly in the store";
  console.log(`revoked ${revoked} key${revoked === 1 ? "" : "s"} (${scope}) ${how}`);
  return 0;
}

async function direct(
  companyId: string | null,
  reason: string,
  config: ReturnType<typeof loadConfig>,
): Promise<number> {
  // Loaded here: the store is the slow part of starting the CLI.
  const [{ openStore }, { revokeAllKeys }] = await Promise.all([
    import("../store/open-store.js"),
    import("../lifecycle/revoke-all-keys.js"),
  ]);
  const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel, process.stderr);
  const store = await openStore({ target: config.store, peppers: config.peppers, logger });
  try {
    const deps = { ...store, keyPrefix: config.keyPrefix, now: Date.now };
    return await revokeAllKeys(deps, { companyId, reason, audit: { actor: "cli" } });
  } finally {
    await store.close();
  }
}

async function viaServer(server: ServerHandle, companyId: string | null, reason: string): Promise<number> {
  const [{ createClient }, { createConnectTransport }, { RevokeAllKeysRequestSchema, KeyAdminService }] =
    await Promise.all([
      import("@connectrpc/connect"),
      import("@connectrpc/connect-node"),
      import("../gen/keyward/admin/v1/key_admin_pb.js"),
    ]);
  const client = createClient(
    KeyAdminService,
    createConnectTransport({ baseUrl: server.adminUrl, httpVersion: "1.1" }),
  );
  const res = await client.revokeAllKeys(
    create(RevokeAllKeysRequestSchema, { companyId: companyId ?? "", reason }),
    { headers: { authorization: `Bearer ${server.token}` } },
  );
  return Number(res.revokedCount);
}
