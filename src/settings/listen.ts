import { isIPv4 } from "node:net";
import { ConfigError } from "./config-error.js";

/** A listener address. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Parses `host:port` (IPv6 as `[::1]:port`); port 0 picks a free one. */
export function parseListen(text: string, name: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new ConfigError(`${name} must be host:port, got "${text}"`);
  return { host: (match[1] ?? match[2]) as string, port };
}

/** Whether `host` only accepts connections from this machine. A hostname like `127.example.com` is not. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || (isIPv4(host) && host.startsWith("127."));
}
