import { type Cidr, parseCidr } from "../keys/cidr.js";
import { ConfigError } from "./config-error.js";

/** `KEYWARD_TRUSTED_PROXIES`: comma-separated CIDRs (or bare addresses), or `none`; default loopback only. */
export function trustedProxiesSetting(env: NodeJS.ProcessEnv): Cidr[] {
  const text = env.KEYWARD_TRUSTED_PROXIES?.trim() || "127.0.0.1/32,::1/128";
  if (text === "none") return [];
  return text.split(",").map((part) => {
    const cidr = parseCidr(part.trim());
    if (!cidr) {
      throw new ConfigError(
        `KEYWARD_TRUSTED_PROXIES must be CIDRs like 10.0.0.0/8,::1/128 (or "none"), got "${part.trim()}"`,
      );
    }
    return cidr;
  });
}
