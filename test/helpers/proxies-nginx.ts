import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureDebianPackages } from "./debian-packages.js";
import { onFreePort, type ProxyProcess, proxyDir, readExample, spawnProxy, substitute } from "./proxies.js";

/** The shipped example, as the guide names it. */
export const NGINX_EXAMPLE = "examples/nginx/nginx.conf";

/** Where the upstreams are: Keyward's authz listener and the echo API. */
export interface ProxyTargets {
  keywardPort: number;
  upstreamPort: number;
}

/**
 * Runs Debian's nginx (installed when missing) on the shipped example, changed only in its three
 * addresses, in the foreground, with its prefix (pid, logs, temporary files) in a directory of its own.
 */
export async function startNginx(targets: ProxyTargets): Promise<ProxyProcess> {
  ensureDebianPackages("nginx=nginx-light");
  // Debian's nginx lives in /usr/sbin, which a PATH outside root's may lack.
  const nginx = existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
  return onFreePort((port) => {
    const dir = proxyDir("nginx");
    const config = substitute(readExample(NGINX_EXAMPLE), {
      "listen 8080;": `listen 127.0.0.1:${port};`,
      "server 127.0.0.1:9191;": `server 127.0.0.1:${targets.keywardPort};`,
      "server 127.0.0.1:3000;": `server 127.0.0.1:${targets.upstreamPort};`,
    });
    const file = join(dir, "nginx.conf");
    writeFileSync(file, config);
    // Workers run as an unprivileged user when nginx starts as root: they write temporary files here.
    chmodSync(dir, 0o755);
    return spawnProxy(
      nginx,
      ["-p", `${dir}/`, "-c", file, "-e", join(dir, "error.log"), "-g", "daemon off;"],
      {
        dir,
        port,
        logFile: join(dir, "error.log"),
      },
    );
  });
}
