import { type ListenAddress, loadConfig } from "../config.js";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { parseFlags } from "./args.js";
import { probeHealth } from "./health-probe.js";
import { describeStore } from "./store-notice.js";

export const STATUS_HELP = `Usage: keyward status [--authz-listen HOST:PORT] [--admin-listen HOST:PORT]

Says whether a server answers on the configured listeners, whether admin authentication is on, and
which store (data dir or database) the configuration points at.
Exits 0 when both listeners answer and the authz listener is SERVING (it can answer Checks), 1 otherwise.`;

/** `keyward status`. */
export async function status(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const flags = parseFlags(args, { "authz-listen": { type: "string" }, "admin-listen": { type: "string" } });
  if (flags.help) {
    console.log(STATUS_HELP);
    return 0;
  }
  const config = loadConfig(env, { authzListen: flags["authz-listen"], adminListen: flags["admin-listen"] });
  const [authz, admin] = await Promise.all([
    authzStatus(config.authzListen),
    adminStatus(config.adminListen),
  ]);
  console.log(`authz  ${show(config.authzListen)}  ${authz.line}`);
  console.log(`admin  ${show(config.adminListen)}  ${admin.line}`);
  console.log(`store  ${describeStore(config.store)}`);
  return authz.up && admin.up ? 0 : 1;
}

function show(a: ListenAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** A wildcard listen address is reached through loopback. */
function target(a: ListenAddress): string {
  const host = a.host === "0.0.0.0" ? "127.0.0.1" : a.host === "::" ? "::1" : a.host;
  return show({ host, port: a.port });
}

async function authzStatus(a: ListenAddress): Promise<{ up: boolean; line: string }> {
  const res = await probeHealth(target(a), 2000);
  if (!res.ok) return { up: false, line: "down (no answer)" };
  if (res.status === ServingStatus.SERVING) return { up: true, line: "up (serving)" };
  return {
    up: false,
    line: `up but ${ServingStatus[res.status]}: Checks cannot be answered (database unavailable, or shutting down)`,
  };
}

async function adminStatus(a: ListenAddress): Promise<{ up: boolean; line: string }> {
  try {
    const res = await fetch(`http://${target(a)}/healthz`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { admin_auth?: string };
    const auth = body.admin_auth === "dev" ? "admin auth OFF (--dev)" : "admin auth on";
    return { up: res.ok, line: res.ok ? `up, ${auth}` : `answers ${res.status}` };
  } catch {
    return { up: false, line: "down (no answer)" };
  }
}
