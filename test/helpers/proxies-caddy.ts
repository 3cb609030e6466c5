import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureDebianPackages } from "./debian-packages.js";
import { onFreePort, type ProxyProcess, proxyDir, readExample, spawnProxy, substitute } from "./proxies.js";
import type { ProxyTargets } from "./proxies-nginx.js";

/** The shipped example, as the guide names it. */
export const CADDY_EXAMPLE = "examples/caddy/Caddyfile";

/**
 * Runs Debian's Caddy (installed when missing) on the shipped example, changed only in its three
 * addresses, with its home, data and config directories in a directory of its own.
 */
export async function startCaddy(targets: ProxyTargets): Promise<ProxyProcess> {
  ensureDebianPackages("caddy=caddy");
  return onFreePort((port) => {
    const dir = proxyDir("caddy");
    const config = substitute(readExample(CADDY_EXAMPLE), {
      ":8080 {": `http://127.0.0.1:${port} {`,
      "forward_auth 127.0.0.1:9191 {": `forward_auth 127.0.0.1:${targets.keywardPort} {`,
      "reverse_proxy 127.0.0.1:3000": `reverse_proxy 127.0.0.1:${targets.upstreamPort}`,
    });
    const file = join(dir, "Caddyfile");
    writeFileSync(file, config);
    return spawnProxy("caddy", ["run", "--config", file, "--adapter", "caddyfile"], {
      dir,
      port,
      env: { HOME: dir, XDG_DATA_HOME: join(dir, "data"), XDG_CONFIG_HOME: join(dir, "config") },
    });
  });
}
