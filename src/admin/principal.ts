import { createContextKey } from "@connectrpc/connect";

/** Who is calling the admin API. */
export type Principal =
  /** An admin key: `keys:admin` manages its own company, `platform:admin` every company. */
  | { kind: "key"; keyId: string; companyId: string; platform: boolean }
  /** The local command line, through the credential the server keeps in its data dir. */
  | { kind: "cli" }
  /** `serve --dev` without a key, on loopback only. */
  | { kind: "dev" };

/** The authenticated caller of the current request; set by the admin interceptor. */
export const principalKey = createContextKey<Principal | null>(null, { description: "admin principal" });

/** The caller's address, for the audit log. */
export const sourceIpKey = createContextKey<string | null>(null, { description: "source ip" });

/** Whether `p` may act on every company. */
export function isPlatform(p: Principal): boolean {
  return p.kind !== "key" || p.platform;
}

/** Whether `p` may see and manage keys of `companyId`. */
export function canManage(p: Principal, companyId: string): boolean {
  return isPlatform(p) || (p.kind === "key" && p.companyId === companyId);
}

/** The `actor` recorded in audit events. */
export function actorOf(p: Principal): string {
  return p.kind === "key" ? p.keyId : p.kind;
}

/** The company a listing is about: the one asked for, or for a company admin that asks none, its own. */
export function companyScope(p: Principal, requested: string): string | undefined {
  if (requested) return requested;
  return p.kind === "key" && !p.platform ? p.companyId : undefined;
}
