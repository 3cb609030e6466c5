import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../../scripts/ensure-packages.sh", import.meta.url));

/**
 * Makes sure the commands a suite runs for real (nginx, caddy, chromium, h2load) are installed, installing
 * their Debian packages with apt when missing. Pairs are `command=package`.
 */
export function ensureDebianPackages(...pairs: string[]): void {
  execFileSync("bash", [script, ...pairs], { stdio: ["ignore", "inherit", "inherit"] });
}
